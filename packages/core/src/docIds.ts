/**
 * Document ids. Every document belongs to one owner (a user id) and has a
 * kind that decides which records it holds and who may author them:
 *
 * | id                    | holds                                        |
 * | --------------------- | -------------------------------------------- |
 * | `u/<uid>`             | profile, follows, blocks, post buckets       |
 * | `p/<uid>/<yyyy-mm>`   | uid's posts of one month                     |
 * | `t/<uid>/<postId>`    | the thread of one post: comments, reactions  |
 * | `f/<uid>`             | follower edges pointing at uid               |
 * | `r/<uid>/<room>`      | a public chat room                           |
 */
import { ErrorCodes, FeedmeshError } from './errors.js'
import { isUserId, type UserId } from './Identity.js'

/** A document id string, e.g. `p/<uid>/2026-11`. */
export type DocId = string

/** The kinds of documents, by their id prefix. */
export const DocKinds = {
  User: 'u',
  Posts: 'p',
  Thread: 't',
  Followers: 'f',
  Room: 'r',
} as const

/** One of {@link DocKinds}. */
export type DocKind = (typeof DocKinds)[keyof typeof DocKinds]

/** A parsed document id. */
export type ParsedDocId =
  | { kind: 'u'; owner: UserId }
  | { kind: 'p'; owner: UserId; month: string }
  | { kind: 't'; owner: UserId; postId: string }
  | { kind: 'f'; owner: UserId }
  | { kind: 'r'; owner: UserId; room: string }

/** Record ids, post ids and room names: 1 to 64 base64url characters. */
const namePattern = /^[A-Za-z0-9_-]{1,64}$/
const monthPattern = /^(\d{4})-(0[1-9]|1[0-2])$/

/** True when `value` may be used as a post id, room name or record id segment. */
export function isName(value: unknown): value is string {
  return typeof value === 'string' && namePattern.test(value)
}

/** True when `value` is a `yyyy-mm` month. */
export function isMonth(value: unknown): value is string {
  return typeof value === 'string' && monthPattern.test(value)
}

function bad(id: string, why: string): never {
  throw new FeedmeshError(ErrorCodes.BadDocId, `bad document id "${id}": ${why}`)
}

/** Parses a document id; throws `bad-doc-id` with the reason when malformed. */
export function parseDocId(id: string): ParsedDocId {
  if (typeof id !== 'string') bad(String(id), 'not a string')
  if (id.length > 200) bad(id.slice(0, 40), 'longer than 200 characters')
  const parts = id.split('/')
  const [kind, owner] = parts
  if (!isUserId(owner)) bad(id, 'the second segment must be a user id (43 base64url characters)')
  const arity = kind === 'u' || kind === 'f' ? 2 : 3
  if (parts.length !== arity) bad(id, `"${kind}/" ids have ${arity} segments`)
  switch (kind) {
    case 'u':
      return { kind, owner }
    case 'f':
      return { kind, owner }
    case 'p': {
      const month = parts[2]!
      if (!isMonth(month)) bad(id, 'the month must be yyyy-mm')
      return { kind, owner, month }
    }
    case 't': {
      const postId = parts[2]!
      if (!isName(postId)) bad(id, 'the post id must be 1-64 characters of [A-Za-z0-9_-]')
      return { kind, owner, postId }
    }
    case 'r': {
      const room = parts[2]!
      if (!isName(room)) bad(id, 'the room name must be 1-64 characters of [A-Za-z0-9_-]')
      return { kind, owner, room }
    }
    default:
      return bad(id, 'the kind must be one of u, p, t, f, r')
  }
}

/** True when `id` parses as a document id. */
export function isDocId(id: unknown): id is DocId {
  if (typeof id !== 'string') return false
  try {
    parseDocId(id)
    return true
  } catch {
    return false
  }
}

/** The id of a user's profile document, `u/<uid>`. */
export const userDocId = (uid: UserId): DocId => `u/${uid}`
/** The id of a user's posts of one month, `p/<uid>/<yyyy-mm>`. */
export const postsDocId = (uid: UserId, month: string): DocId => `p/${uid}/${month}`
/** The id of a post's thread, `t/<uid>/<postId>`. */
export const threadDocId = (uid: UserId, postId: string): DocId => `t/${uid}/${postId}`
/** The id of a user's follower set, `f/<uid>`. */
export const followersDocId = (uid: UserId): DocId => `f/${uid}`
/** The id of a public chat room, `r/<uid>/<room>`. */
export const roomDocId = (uid: UserId, room: string): DocId => `r/${uid}/${room}`

/** The UTC `yyyy-mm` month of a timestamp in milliseconds. */
export function monthOf(at: number): string {
  const d = new Date(at)
  return `${d.getUTCFullYear().toString().padStart(4, '0')}-${(d.getUTCMonth() + 1).toString().padStart(2, '0')}`
}

/** The month before a `yyyy-mm` month. */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return m === 1
    ? `${(y - 1).toString().padStart(4, '0')}-12`
    : `${y.toString().padStart(4, '0')}-${(m - 1).toString().padStart(2, '0')}`
}
