/**
 * The commands that read: `profile show`, `posts`, `timeline`, `thread`,
 * `followers`, `following`, `room`. Each opens one live query, waits until
 * the relay answered its documents ({@link Session.catchUp}; with no relay
 * configured it shows the local store and says so on stderr), prints the
 * query's value as text or `--json`, then gives writes still waiting in the
 * outbox a chance to reach the relay (a warning, never a failure).
 */
import { type FeedClient, formatRef, type LiveQuery, type UserId } from '@feedmesh/core'
import { CliError, CliErrorCodes } from './CliError.js'
import { intFlag } from './cliArgs.js'
import {
  type CommandContext,
  type Handler,
  type Io,
  printJson,
  refArg,
  resolveRoom,
  roomArg,
  uidArg,
  withSession,
} from './commandContext.js'
import {
  commentJson,
  commentText,
  messageJson,
  messageText,
  postJson,
  postText,
  profileJson,
  profileText,
} from './format.js'

/** Runs one read (see the module comment). */
async function runRead<T>(
  ctx: CommandContext,
  open: (client: FeedClient, me: UserId) => LiveQuery<T>,
  print: (value: T, io: Io, json: boolean) => void,
): Promise<void> {
  const { io, inv } = ctx
  await withSession(ctx, async (session) => {
    const query = open(session.client, session.identity.userId)
    try {
      await session.catchUp()
      if (!session.hasRelays) {
        io.err(
          `no relay configured (--relay or FEEDMESH_RELAY): showing what ${inv.options.data} holds`,
        )
      }
      print(query.current, io, inv.options.json)
    } finally {
      query.close()
    }
    const warning = await session.flushQuietly()
    if (warning !== undefined) io.err(`warning: ${warning}`)
  })
}

/** `--limit`, 1-1000, default 20. */
export function limitOf(ctx: CommandContext): number {
  return intFlag(ctx.inv.flags, 'limit', 20, 1, 1000)
}

const profileShow: Handler = async (ctx) => {
  const uid = uidArg(ctx.inv.args[0])
  await runRead(
    ctx,
    (client, me) => client.profile(uid ?? me),
    (p, io, json) => (json ? printJson(io, profileJson(p)) : io.out(profileText(p))),
  )
}

/** `posts UID` and `timeline`. */
function postList(source: 'posts' | 'timeline'): Handler {
  return async (ctx) => {
    const uid = source === 'posts' ? uidArg(ctx.inv.args[0]) : undefined
    const pageSize = limitOf(ctx)
    await runRead(
      ctx,
      (client, me) =>
        source === 'posts' ? client.posts(uid ?? me, { pageSize }) : client.timeline({ pageSize }),
      (view, io, json) => {
        const posts = view.posts.slice(0, pageSize)
        if (json) printJson(io, posts.map(postJson))
        else for (const p of posts) io.out(postText(p))
      },
    )
  }
}

const thread: Handler = async (ctx) => {
  const ref = refArg(ctx.inv.args[0]!)
  await runRead(
    ctx,
    (client) => client.thread(ref),
    (view, io, json) => {
      if (view.post === null) {
        throw new CliError(
          CliErrorCodes.NotFound,
          `post ${formatRef(ref)} not found: it was deleted, or neither this device nor the relays have it`,
        )
      }
      if (json) {
        const post = { ...postJson(view.post), myReactions: view.myReactions }
        printJson(io, [post, ...view.comments.map(commentJson)])
        return
      }
      io.out(postText(view.post))
      for (const c of view.comments) io.out(commentText(c))
    },
  )
}

/** `followers [UID]` and `following [UID]`. */
function userList(which: 'followers' | 'following'): Handler {
  return async (ctx) => {
    const uid = uidArg(ctx.inv.args[0])
    await runRead(
      ctx,
      (client, me) =>
        which === 'followers' ? client.followers(uid ?? me) : client.following(uid ?? me),
      (users, io, json) => {
        if (json)
          printJson(
            io,
            users.map((userId) => ({ userId })),
          )
        else for (const u of users) io.out(u)
      },
    )
  }
}

const room: Handler = async (ctx) => {
  const arg = roomArg(ctx.inv.args[0]!)
  let ref = resolveRoom(arg, '')
  await runRead(
    ctx,
    (client, me) => {
      ref = resolveRoom(arg, me)
      return client.room(ref)
    },
    (view, io, json) => {
      if (json)
        printJson(
          io,
          view.messages.map((m) => messageJson(ref, m)),
        )
      else for (const m of view.messages) io.out(messageText(m))
    },
  )
}

/** The read commands by name. */
export const readCommands: Readonly<Record<string, Handler>> = {
  'profile show': profileShow,
  posts: postList('posts'),
  timeline: postList('timeline'),
  thread,
  followers: userList('followers'),
  following: userList('following'),
  room,
}
