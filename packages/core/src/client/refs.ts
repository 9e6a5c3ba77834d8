/**
 * References to things an app points at: a post (`<uid>/<postId>`), a
 * comment of a post, a chat room. A reference names the author and the
 * record id; the documents they live in follow from it (a post lives in
 * `p/<author>/<monthOf(time of its id)>`, its thread in `t/<author>/<postId>`).
 */
import type { DocId } from '../docIds.js'
import { isName, monthOf, postsDocId, threadDocId } from '../docIds.js'
import { ErrorCodes, FeedmeshError } from '../errors.js'
import { isUserId, type UserId } from '../Identity.js'
import { timeOfId } from './ids.js'

/** A post: its author and id. Text form `<uid>/<postId>`. */
export interface PostRef {
  /** The author's user id. */
  author: UserId
  /** The post id (sortable: base36 time + random). */
  postId: string
}

/** A comment: the post it belongs to, its author and id. */
export interface CommentRef {
  /** The post whose thread holds the comment. */
  post: PostRef
  /** The comment's author. */
  author: UserId
  /** The comment id. */
  commentId: string
}

/** A public chat room: its owner and name. */
export interface RoomRef {
  /** The user who owns (moderates) the room. */
  owner: UserId
  /** The room name (1-64 characters of `[A-Za-z0-9_-]`). */
  room: string
}

/** Formats a post reference as `<uid>/<postId>`. */
export function formatRef(ref: PostRef): string {
  return `${ref.author}/${ref.postId}`
}

/** Parses `<uid>/<postId>`; throws `bad-ref` when malformed. */
export function parseRef(text: string): PostRef {
  const parts = typeof text === 'string' ? text.split('/') : []
  const [author, postId] = parts
  if (parts.length !== 2 || !isUserId(author) || !isName(postId)) {
    throw new FeedmeshError(ErrorCodes.BadRef, `bad post reference "${String(text)}"`)
  }
  return { author, postId }
}

/** Throws `bad-ref` unless `ref` is a well-formed post reference. */
export function checkPostRef(ref: PostRef): PostRef {
  if (
    typeof ref !== 'object' ||
    ref === null ||
    !isUserId(ref.author) ||
    !isName(ref.postId) ||
    timeOfId(ref.postId) === undefined
  ) {
    throw new FeedmeshError(ErrorCodes.BadRef, 'bad post reference')
  }
  return ref
}

/** The bucket document a post lives in (from the time encoded in its id). */
export function postDocOf(ref: PostRef): DocId {
  const at = timeOfId(ref.postId)
  if (at === undefined) throw new FeedmeshError(ErrorCodes.BadRef, `bad post id "${ref.postId}"`)
  return postsDocId(ref.author, monthOf(at))
}

/** The thread document of a post. */
export function threadOf(ref: PostRef): DocId {
  return threadDocId(ref.author, ref.postId)
}
