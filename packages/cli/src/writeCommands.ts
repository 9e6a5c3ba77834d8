/**
 * The write commands that make something new or change the user's own
 * documents: `profile set`, `post`, `follow`, `unfollow`, `block`,
 * `unblock`, `say`, and `sync` (which only sends what earlier commands
 * stored). The writes on an existing post and its thread are in
 * `threadCommands.ts`; every write runs as `runWrite.ts` describes.
 */
import { type FeedClient, formatRef, RecordLimits, type UserId } from '@feedmesh/core'
import { badArgument, usageError } from './CliError.js'
import { stringFlag } from './cliArgs.js'
import {
  type Handler,
  printJson,
  refArg,
  resolveRoom,
  roomArg,
  uidArg,
  withSession,
} from './commandContext.js'
import { roomName } from './format.js'
import { runWrite, textArg } from './runWrite.js'

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
  follow: userWrite('follow', 'followed', (c, uid) => c.follow(uid)),
  unfollow: userWrite('unfollow', 'unfollowed', (c, uid) => c.unfollow(uid)),
  block: userWrite('block', 'blocked', (c, uid) => c.block(uid)),
  unblock: userWrite('unblock', 'unblocked', (c, uid) => c.unblock(uid)),
  say,
  sync,
}
