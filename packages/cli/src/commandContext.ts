/**
 * What every command handler gets (the parsed invocation and the process's
 * streams), and the argument parsers they share: user ids, post and
 * comment references and rooms, each refused with a usage error (exit 2)
 * naming the expected form.
 */
import {
  type CommentRef,
  isName,
  isUserId,
  type PostRef,
  parseRef,
  type RoomRef,
  type UserId,
} from '@feedmesh/core'
import { badArgument } from './CliError.js'
import type { Invocation } from './cliArgs.js'
import { Session } from './Session.js'

/** The process around a command: output streams, stdin and signals. */
export interface Io {
  /** Writes `text` and a newline to stdout. */
  out(text: string): void
  /** Writes `text` and a newline to stderr. */
  err(text: string): void
  /** Reads all of stdin as UTF-8. */
  readStdin(): Promise<string>
  /** Resolves with the first SIGINT or SIGTERM received from now on. */
  untilSignal(): Promise<string>
}

/** A command's invocation and its process. */
export interface CommandContext {
  /** The parsed command line. */
  inv: Invocation
  /** The process. */
  io: Io
}

/** A command. */
export type Handler = (ctx: CommandContext) => Promise<void>

/** The post and comment ids the client makes: 9 base36 digits of the creation time, 8 random base64url characters. */
const recordIdPattern = /^[0-9a-z]{9}[A-Za-z0-9_-]{8}$/

const postForm = '<uid>/<postId>, as printed by `feedmesh post`'
const commentForm = '<uid>/<postId>/<uid>/<commentId>, as printed by `feedmesh comment`'

function parsePostRef(text: string): PostRef | undefined {
  let ref: PostRef | undefined
  try {
    ref = parseRef(text)
  } catch {
    return undefined
  }
  return recordIdPattern.test(ref.postId) ? ref : undefined
}

function parseCommentRef(text: string): CommentRef | undefined {
  const [author, postId, commenter, commentId, ...rest] = text.split('/')
  if (rest.length > 0 || commenter === undefined || commentId === undefined) return undefined
  const post = parsePostRef(`${author}/${postId}`)
  if (post === undefined || !isUserId(commenter) || !recordIdPattern.test(commentId)) {
    return undefined
  }
  return { post, author: commenter, commentId }
}

/** Parses `<uid>/<postId>`; usage error otherwise. */
export function refArg(text: string): PostRef {
  const ref = parsePostRef(text)
  if (ref === undefined) throw badArgument(`bad post reference "${text}": expected ${postForm}`)
  return ref
}

/** Parses `<uid>/<postId>/<uid>/<commentId>` (a post's ref, the commenter, the comment id); usage error otherwise. */
export function commentRefArg(text: string): CommentRef {
  const ref = parseCommentRef(text)
  if (ref === undefined) {
    throw badArgument(`bad comment reference "${text}": expected ${commentForm}`)
  }
  return ref
}

/** A post or a comment, as named on the command line. */
export type TargetRef = { kind: 'post'; ref: PostRef } | { kind: 'comment'; ref: CommentRef }

/** Parses a post reference or a comment reference (told apart by their number of parts); usage error otherwise. */
export function targetArg(text: string): TargetRef {
  const post = parsePostRef(text)
  if (post !== undefined) return { kind: 'post', ref: post }
  const comment = parseCommentRef(text)
  if (comment !== undefined) return { kind: 'comment', ref: comment }
  throw badArgument(
    `bad reference "${text}": expected a post ${postForm}, or a comment ${commentForm}`,
  )
}

/** Parses a user id; `me` (or nothing) is the key's user, returned as `undefined`. Usage error otherwise. */
export function uidArg(text: string | undefined): UserId | undefined {
  if (text === undefined || text === 'me') return undefined
  if (!isUserId(text)) {
    throw badArgument(
      `bad user id "${text}": expected 43 base64url characters, as printed by \`feedmesh whoami\``,
    )
  }
  return text
}

/** A room as given on the command line: its owner (`undefined`: the key's user) and name. */
export interface RoomArg {
  owner: UserId | undefined
  room: string
}

/** Parses `<owner-uid>/<room>` or `<room>` (a room of the key's user); usage error otherwise. */
export function roomArg(text: string): RoomArg {
  const slash = text.indexOf('/')
  const owner = slash < 0 ? undefined : text.slice(0, slash)
  const room = slash < 0 ? text : text.slice(slash + 1)
  if ((owner !== undefined && !isUserId(owner)) || !isName(room)) {
    throw badArgument(
      `bad room "${text}": expected <owner-uid>/<room> or <room>, a room name being 1-64 of A-Z a-z 0-9 _ -`,
    )
  }
  return { owner, room }
}

/** The room of `arg`, owned by `me` when no owner was given. */
export function resolveRoom(arg: RoomArg, me: UserId): RoomRef {
  return { owner: arg.owner ?? me, room: arg.room }
}

/** Opens a session, runs `work`, and closes the session whatever happens. */
export async function withSession<T>(
  ctx: CommandContext,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  const session = await Session.open(ctx.inv.options)
  try {
    return await work(session)
  } finally {
    await session.close()
  }
}

/** Prints a JSON value on one line. */
export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value))
}
