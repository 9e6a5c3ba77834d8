/**
 * The commands that write: `profile set`, `post`, `edit`, `delete`,
 * `comment`, `react`, `follow`, `unfollow`, `block`, `unblock`, `say`, and
 * `sync` (which only sends what earlier commands stored).
 *
 * Every write runs the same steps ({@link runWrite}):
 * 1. open the documents the write reads or supersedes (through live
 *    queries) and catch up on them with the relay, so a version written
 *    elsewhere is superseded rather than shadowed, and an edit from an
 *    empty store finds its post (`--no-wait`: local state only);
 * 2. write through the {@link FeedClient} (stored locally with its outbox
 *    entry before it resolves) and print the result: the new ref alone on
 *    the last stdout line, or one JSON object with `--json`;
 * 3. wait until a relay acknowledged it as durable (`--no-wait`: skip, say
 *    on stderr that it is stored locally only).
 */
import {
  type FeedClient,
  formatRef,
  type LiveQuery,
  type PostRef,
  RecordLimits,
  type ThreadView,
  type UserId,
} from '@feedmesh/core'
import { badArgument, CliError, CliErrorCodes, usageError } from './CliError.js'
import { stringFlag } from './cliArgs.js'
import {
  type CommandContext,
  type Handler,
  printJson,
  refArg,
  resolveRoom,
  roomArg,
  uidArg,
  withSession,
} from './commandContext.js'
import { roomName } from './format.js'
import type { Session } from './Session.js'

/** What a write prints: a text line (absent: nothing on stdout), its JSON, and a note for stderr. */
interface WriteResult {
  text?: string
  json: Record<string, unknown>
  note: string
}

/**
 * Runs one write (see the module comment): `open` returns the queries of
 * the documents to catch up on, `write` does the write once they are
 * current.
 */
async function runWrite(
  ctx: CommandContext,
  open: (client: FeedClient, me: UserId) => LiveQuery<unknown>[],
  write: (session: Session) => Promise<WriteResult>,
): Promise<void> {
  const noWait = ctx.inv.flags.get('no-wait') === true
  const { io, inv } = ctx
  await withSession(ctx, async (session) => {
    const queries = open(session.client, session.identity.userId)
    try {
      if (noWait) await session.client.settled()
      else await catchUpBeforeWrite(session)
      const result = await write(session)
      if (inv.options.json) printJson(io, result.json)
      else if (result.text !== undefined) io.out(result.text)
      if (noWait) {
        const where = session.hasRelays ? '' : ' (no relay configured)'
        io.err(
          `${result.note}: stored in ${inv.options.data} only${where}; a later command with a relay sends it`,
        )
        return
      }
      await session.acknowledged()
      io.err(`${result.note}: acknowledged by ${session.status.relay ?? 'the relay'}`)
    } finally {
      for (const q of queries) q.close()
    }
  })
}

async function catchUpBeforeWrite(session: Session): Promise<void> {
  try {
    await session.catchUp()
  } catch (error) {
    if (error instanceof CliError && error.code === CliErrorCodes.Timeout) {
      throw new CliError(
        error.code,
        `${error.message}; nothing was written (pass --no-wait to store the write locally and send it later)`,
      )
    }
    throw error
  }
}

/** Checks a text argument against its record limit; `-` reads stdin. */
async function textArg(
  ctx: CommandContext,
  raw: string,
  max: number,
  what: string,
): Promise<string> {
  const text = raw === '-' ? (await ctx.io.readStdin()).replace(/\r?\n$/, '') : raw
  if (text.trim() === '') throw badArgument(`${what} is empty`)
  if (text.length > max) {
    throw badArgument(`${what} has ${text.length} characters; at most ${max} fit`)
  }
  return text
}

/** Fails with `not-found` when a caught-up thread has no post. */
function requirePost(thread: LiveQuery<ThreadView>, ref: PostRef): void {
  if (thread.current.post === null) {
    throw new CliError(
      CliErrorCodes.NotFound,
      `post ${formatRef(ref)} not found: it was deleted, or neither this device nor the relays have it`,
    )
  }
}

function requireOwn(ref: PostRef, me: UserId, verb: string): void {
  if (ref.author !== me) {
    throw new CliError(
      CliErrorCodes.Failed,
      `${formatRef(ref)} is not your post: only its author can ${verb} it`,
    )
  }
}

function otherUser(uid: UserId, me: UserId, verb: string): UserId {
  if (uid === me) throw badArgument(`you cannot ${verb} yourself`)
  return uid
}

const profileSet: Handler = async (ctx) => {
  const flags = ctx.inv.flags
  const name = stringFlag(flags, 'name')
  const bio = stringFlag(flags, 'bio')
  const avatar = stringFlag(flags, 'avatar')
  if (name === undefined && bio === undefined && avatar === undefined) {
    throw usageError('profile set needs --name, --bio or --avatar')
  }
  if (name !== undefined && (name.trim() === '' || name.length > RecordLimits.name)) {
    throw badArgument(`--name must have 1 to ${RecordLimits.name} characters`)
  }
  if (bio !== undefined && bio.length > RecordLimits.bio) {
    throw badArgument(`--bio has ${bio.length} characters; at most ${RecordLimits.bio} fit`)
  }
  if (avatar !== undefined && !URL.canParse(avatar)) {
    throw badArgument(`--avatar must be a URL, got "${avatar}"`)
  }
  let profile: ReturnType<FeedClient['profile']> | undefined
  await runWrite(
    ctx,
    (client, me) => {
      profile = client.profile(me)
      return [profile]
    },
    async ({ client }) => {
      const current = profile!.current
      const next = {
        name: name ?? current.name,
        bio: bio ?? current.bio,
        avatar: avatar ?? current.avatar,
      }
      if (next.name === undefined) throw usageError('you have no name yet: pass --name too')
      const p: { name: string; bio?: string; avatar?: string } = { name: next.name }
      if (next.bio !== undefined) p.bio = next.bio
      if (next.avatar !== undefined) p.avatar = next.avatar
      await client.setProfile(p)
      return { json: { userId: client.userId, ...p }, note: 'profile set' }
    },
  )
}

const post: Handler = async (ctx) => {
  const text = await textArg(ctx, ctx.inv.args[0]!, RecordLimits.postText, 'the post')
  const replyText = stringFlag(ctx.inv.flags, 'reply-to')
  const replyTo = replyText === undefined ? undefined : refArg(replyText)
  await runWrite(
    ctx,
    (client, me) => [client.following(me)],
    async ({ client }) => {
      const ref = await client.post(text, replyTo === undefined ? undefined : { replyTo })
      const formatted = formatRef(ref)
      return { text: formatted, json: { ref: formatted }, note: `posted ${formatted}` }
    },
  )
}

const edit: Handler = async (ctx) => {
  const ref = refArg(ctx.inv.args[0]!)
  const text = await textArg(ctx, ctx.inv.args[1]!, RecordLimits.postText, 'the post')
  let thread: LiveQuery<ThreadView> | undefined
  await runWrite(
    ctx,
    (client, me) => {
      requireOwn(ref, me, 'edit')
      thread = client.thread(ref)
      return [thread]
    },
    async ({ client }) => {
      requirePost(thread!, ref)
      await client.editPost(ref, text)
      const formatted = formatRef(ref)
      const rev = thread!.current.post?.rev
      return { json: { ref: formatted, rev }, note: `edited ${formatted}` }
    },
  )
}

const del: Handler = async (ctx) => {
  const ref = refArg(ctx.inv.args[0]!)
  let thread: LiveQuery<ThreadView> | undefined
  await runWrite(
    ctx,
    (client, me) => {
      requireOwn(ref, me, 'delete')
      thread = client.thread(ref)
      return [thread]
    },
    async ({ client }) => {
      requirePost(thread!, ref)
      await client.deletePost(ref)
      const formatted = formatRef(ref)
      return { json: { ref: formatted, deleted: true }, note: `deleted ${formatted}` }
    },
  )
}

const comment: Handler = async (ctx) => {
  const ref = refArg(ctx.inv.args[0]!)
  const text = await textArg(ctx, ctx.inv.args[1]!, RecordLimits.commentText, 'the comment')
  const noWait = ctx.inv.flags.get('no-wait') === true
  let thread: LiveQuery<ThreadView> | undefined
  await runWrite(
    ctx,
    (client) => {
      thread = client.thread(ref)
      return [thread]
    },
    async ({ client, hasRelays }) => {
      if (!noWait && hasRelays) requirePost(thread!, ref)
      const c = await client.comment(ref, text)
      const formatted = `${formatRef(ref)}/${c.author}/${c.commentId}`
      return {
        text: formatted,
        json: { ref: formatted, post: formatRef(ref) },
        note: `commented on ${formatRef(ref)}`,
      }
    },
  )
}

const react: Handler = async (ctx) => {
  const ref = refArg(ctx.inv.args[0]!)
  const emoji = ctx.inv.args[1]!
  if (emoji.trim() === '' || emoji.length > RecordLimits.emoji) {
    throw badArgument(`EMOJI must have 1 to ${RecordLimits.emoji} characters`)
  }
  const noWait = ctx.inv.flags.get('no-wait') === true
  let thread: LiveQuery<ThreadView> | undefined
  await runWrite(
    ctx,
    (client) => {
      thread = client.thread(ref)
      return [thread]
    },
    async ({ client, hasRelays }) => {
      if (!noWait && hasRelays) requirePost(thread!, ref)
      await client.react(ref, emoji)
      return { json: { ref: formatRef(ref), emoji }, note: `reacted ${emoji} to ${formatRef(ref)}` }
    },
  )
}

/** `follow`, `unfollow`, `block`, `unblock`: one user, `u/<me>` and `f/<uid>`. */
function userWrite(
  verb: string,
  done: string,
  act: (client: FeedClient, uid: UserId) => Promise<void>,
): Handler {
  return async (ctx) => {
    const given = uidArg(ctx.inv.args[0])
    let uid: UserId | undefined
    await runWrite(
      ctx,
      (client, me) => {
        uid = otherUser(given ?? me, me, verb)
        return [client.following(me), client.followers(uid)]
      },
      async ({ client }) => {
        await act(client, uid!)
        return { json: { userId: uid, [done]: true }, note: `${done} ${uid}` }
      },
    )
  }
}

const say: Handler = async (ctx) => {
  const arg = roomArg(ctx.inv.args[0]!)
  const text = await textArg(ctx, ctx.inv.args[1]!, RecordLimits.commentText, 'the message')
  await runWrite(
    ctx,
    (client, me) => [client.room(resolveRoom(arg, me))],
    async ({ client }) => {
      const room = resolveRoom(arg, client.userId)
      const id = await client.say(room, text)
      const ref = `${roomName(room)}/${client.userId}/${id}`
      return {
        text: ref,
        json: { ref, room: roomName(room), id },
        note: `said in ${roomName(room)}`,
      }
    },
  )
}

const sync: Handler = async (ctx) => {
  await withSession(ctx, async (session) => {
    await session.client.settled()
    const pending = session.status.pending
    if (pending === 0) {
      if (ctx.inv.options.json) printJson(ctx.io, { sent: 0 })
      ctx.io.err('nothing to send')
      return
    }
    await session.acknowledged()
    if (ctx.inv.options.json) printJson(ctx.io, { sent: pending })
    ctx.io.err(`${pending} write(s) acknowledged by ${session.status.relay ?? 'the relay'}`)
  })
}

/** The write commands by name. */
export const writeCommands: Readonly<Record<string, Handler>> = {
  'profile set': profileSet,
  post,
  edit,
  delete: del,
  comment,
  react,
  follow: userWrite('follow', 'followed', (c, uid) => c.follow(uid)),
  unfollow: userWrite('unfollow', 'unfollowed', (c, uid) => c.unfollow(uid)),
  block: userWrite('block', 'blocked', (c, uid) => c.block(uid)),
  unblock: userWrite('unblock', 'unblocked', (c, uid) => c.unblock(uid)),
  say,
  sync,
}
