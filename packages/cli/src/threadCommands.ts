/**
 * The write commands on a post and its thread: `edit` and `delete` (of a
 * post or a comment), `comment`, `react`, `unreact`, and the moderation of
 * the post's author, `hide` and `unhide` (a comment stays stored but no
 * reader shows it). Each catches up on the post and its thread (one thread
 * query reads both) before it writes, as every write does (`runWrite.ts`).
 */
import {
  type CommentRef,
  ErrorCodes,
  type FeedClient,
  FeedmeshError,
  formatRef,
  type LiveQuery,
  type PostRef,
  RecordLimits,
  type ThreadView,
  threadDocId,
  type UserId,
} from '@feedmesh/core'
import { badArgument, CliError, CliErrorCodes } from './CliError.js'
import {
  type CommandContext,
  commentRefArg,
  type Handler,
  refArg,
  type TargetRef,
  targetArg,
} from './commandContext.js'
import { formatCommentRef } from './format.js'
import {
  isNoWait,
  notFound,
  requireOwn,
  requirePost,
  runWrite,
  textArg,
  type WriteResult,
} from './runWrite.js'

/**
 * Runs a write on `post` or its thread: `check` runs first (with the key's
 * user, before any network), `write` once the thread query caught up.
 */
function threadWrite(
  ctx: CommandContext,
  post: PostRef,
  write: (client: FeedClient, thread: LiveQuery<ThreadView>) => Promise<WriteResult>,
  check?: (me: UserId) => void,
): Promise<void> {
  let thread: LiveQuery<ThreadView> | undefined
  return runWrite(
    ctx,
    (client, me) => {
      check?.(me)
      thread = client.thread(post)
      return [thread]
    },
    ({ client }) => write(client, thread!),
  )
}

/**
 * Fails with `not-found` when the post is missing, unless the write is only
 * stored locally (`--no-wait` or no relay: the post may not have arrived).
 */
function requirePostIfOnline(ctx: CommandContext, thread: ThreadView, ref: PostRef): void {
  if (!isNoWait(ctx) && ctx.inv.options.relays.length > 0) requirePost(thread, ref)
}

/** Runs a client write on one of the user's comments; the client's "unknown comment" is `not-found`. */
async function onComment(ref: CommentRef, act: Promise<void>): Promise<void> {
  try {
    await act
  } catch (error) {
    if (error instanceof FeedmeshError && error.code === ErrorCodes.BadArgument) {
      throw notFound(`comment ${formatCommentRef(ref)}`)
    }
    throw error
  }
}

/**
 * `edit` and `delete`: a write on one of the user's posts or comments,
 * refused before any network when it is someone else's; `act` returns what
 * `--json` prints besides the ref.
 */
function ownWrite(
  ctx: CommandContext,
  target: TargetRef,
  verb: 'edit' | 'delete',
  act: (client: FeedClient, thread: LiveQuery<ThreadView>) => Promise<Record<string, unknown>>,
): Promise<void> {
  const isPost = target.kind === 'post'
  const ref = isPost ? formatRef(target.ref) : formatCommentRef(target.ref)
  return threadWrite(
    ctx,
    isPost ? target.ref : target.ref.post,
    async (client, thread) => ({
      json: { ref, ...(await act(client, thread)) },
      note: `${verb === 'edit' ? 'edited' : 'deleted'} ${ref}`,
    }),
    (me) => requireOwn(target.ref.author, me, ref, target.kind, verb),
  )
}

const edit: Handler = async (ctx) => {
  const target = targetArg(ctx.inv.args[0]!)
  const max = target.kind === 'post' ? RecordLimits.postText : RecordLimits.commentText
  const text = await textArg(ctx, ctx.inv.args[1]!, max, `the ${target.kind}`)
  return ownWrite(ctx, target, 'edit', async (client, thread) => {
    if (target.kind === 'post') {
      requirePost(thread.current, target.ref)
      await client.editPost(target.ref, text)
      return { rev: thread.current.post?.rev }
    }
    const ref = target.ref
    await onComment(ref, client.editComment(ref, text))
    const shown = thread.current.comments.find(
      (c) => c.author === ref.author && c.ref.commentId === ref.commentId,
    )
    return { rev: shown?.rev }
  })
}

const del: Handler = async (ctx) => {
  const target = targetArg(ctx.inv.args[0]!)
  return ownWrite(ctx, target, 'delete', async (client, thread) => {
    if (target.kind === 'post') {
      requirePost(thread.current, target.ref)
      await client.deletePost(target.ref)
    } else await onComment(target.ref, client.deleteComment(target.ref))
    return { deleted: true }
  })
}

const comment: Handler = async (ctx) => {
  const ref = refArg(ctx.inv.args[0]!)
  const text = await textArg(ctx, ctx.inv.args[1]!, RecordLimits.commentText, 'the comment')
  return threadWrite(ctx, ref, async (client, thread) => {
    requirePostIfOnline(ctx, thread.current, ref)
    const formatted = formatCommentRef(await client.comment(ref, text))
    return {
      text: formatted,
      json: { ref: formatted, post: formatRef(ref) },
      note: `commented on ${formatRef(ref)}`,
    }
  })
}

function emojiArg(text: string): string {
  if (text.trim() === '' || text.length > RecordLimits.emoji) {
    throw badArgument(`EMOJI must have 1 to ${RecordLimits.emoji} characters`)
  }
  return text
}

const react: Handler = async (ctx) => {
  const ref = refArg(ctx.inv.args[0]!)
  const emoji = emojiArg(ctx.inv.args[1]!)
  return threadWrite(ctx, ref, async (client, thread) => {
    requirePostIfOnline(ctx, thread.current, ref)
    await client.react(ref, emoji)
    return { json: { ref: formatRef(ref), emoji }, note: `reacted ${emoji} to ${formatRef(ref)}` }
  })
}

const unreact: Handler = async (ctx) => {
  const ref = refArg(ctx.inv.args[0]!)
  const emoji = emojiArg(ctx.inv.args[1]!)
  return threadWrite(ctx, ref, async (client, thread) => {
    requirePostIfOnline(ctx, thread.current, ref)
    const had = thread.current.myReactions.includes(emoji)
    await client.unreact(ref, emoji)
    return {
      json: { ref: formatRef(ref), emoji, unreacted: had },
      note: had
        ? `took back ${emoji} from ${formatRef(ref)}`
        : `no ${emoji} of yours on ${formatRef(ref)}: nothing to take back`,
    }
  })
}

/** `hide` and `unhide`: a `mod` record in the thread of one of the user's posts. */
function moderation(verb: 'hide' | 'unhide'): Handler {
  return async (ctx) => {
    const ref = commentRefArg(ctx.inv.args[0]!)
    const formatted = formatCommentRef(ref)
    const docId = threadDocId(ref.post.author, ref.post.postId)
    const target = { author: ref.author, id: ref.commentId }
    return threadWrite(
      ctx,
      ref.post,
      async (client, thread) => {
        requirePostIfOnline(ctx, thread.current, ref.post)
        if (verb === 'hide') await client.hide(docId, target)
        else await client.unhide(docId, target)
        const done = verb === 'hide' ? 'hidden' : 'unhidden'
        return { json: { ref: formatted, [done]: true }, note: `${done} ${formatted}` }
      },
      (me) => {
        if (ref.post.author !== me) {
          throw new CliError(
            CliErrorCodes.Failed,
            `${formatRef(ref.post)} is not your post: only its author can ${verb} its comments`,
          )
        }
      },
    )
  }
}

/** The post and thread write commands by name. */
export const threadCommands: Readonly<Record<string, Handler>> = {
  edit,
  delete: del,
  comment,
  react,
  unreact,
  hide: moderation('hide'),
  unhide: moderation('unhide'),
}
