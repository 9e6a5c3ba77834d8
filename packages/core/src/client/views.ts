/**
 * The values live queries hold: plain, immutable-by-convention objects that
 * an app renders. A query hands out the same object until something it shows
 * changes, so `useSyncExternalStore` and memoised components re-render only
 * on real changes.
 */
import type { UserId } from '../Identity.js'
import type { RelayError } from '../transport/Transport.js'
import type { CommentRef, PostRef } from './refs.js'

/** One post, with the counts of its thread. */
export interface PostView {
  /** The post's reference. */
  ref: PostRef
  /** The author (same as `ref.author`). */
  author: UserId
  /** The current text. */
  text: string
  /** Creation time (the first version's time, encoded in the post id). */
  at: number
  /** Time of the latest edit, when edited. */
  editedAt?: number
  /** The version shown. */
  rev: number
  /** The post this one answers, if any. */
  replyTo?: PostRef
  /** Visible comments in its thread. */
  comments: number
  /** Visible reactions by emoji. */
  reactions: Record<string, number>
}

/** A page of posts, newest first. */
export interface PostsView {
  /** The posts loaded so far, newest first. */
  posts: PostView[]
  /** True when older posts may exist (call `loadMore`). */
  hasMore: boolean
}

/** One comment of a thread. */
export interface CommentView {
  /** The comment's reference. */
  ref: CommentRef
  /** The comment's author. */
  author: UserId
  /** The current text. */
  text: string
  /** Creation time (encoded in the comment id). */
  at: number
  /** The version shown. */
  rev: number
}

/** A post with its comments and reactions. */
export interface ThreadView {
  /** The post, or `null` when it is unknown, deleted or not loaded. */
  post: PostView | null
  /** Visible comments, oldest first (hidden and blocked ones excluded). */
  comments: CommentView[]
  /** Visible reactions by emoji. */
  reactions: Record<string, number>
  /** The emojis this client's user reacted with. */
  myReactions: string[]
}

/** A user's profile and follow counts. */
export interface ProfileView {
  /** The user. */
  userId: UserId
  /** Display name, when set. */
  name?: string
  /** Bio, when set. */
  bio?: string
  /** Avatar URL, when set. */
  avatar?: string
  /** How many users this user follows. */
  following: number
  /** How many visible follower edges point at this user. */
  followers: number
}

/** One chat message. */
export interface MessageView {
  /** The message id. */
  id: string
  /** The author. */
  author: UserId
  /** The current text. */
  text: string
  /** Creation time (encoded in the id, else the record's time). */
  at: number
  /** The version shown. */
  rev: number
}

/** A chat room's messages. */
export interface RoomView {
  /** Visible messages ordered by `at`, then author, then id. */
  messages: MessageView[]
}

/** The state of the client's synchronisation with relays. */
export interface SyncStatus {
  /** True while connected to a relay. */
  online: boolean
  /** The relay in use, when online. */
  relay?: string
  /** Local updates not yet acknowledged by a relay (outbox size). */
  pending: number
  /** When a relay last acknowledged an update. */
  lastAckAt?: number
  /** The last error a relay reported. */
  lastError?: RelayError
  /** Outbox entries dropped because a relay refused them for good (see `outboxPolicy.ts`). */
  refused: number
  /**
   * True while online and every open document has been answered by the
   * relay in use on this connection (and the answer applied): reads then
   * show what the relay holds. False while offline or while a newly opened
   * document waits for its answer.
   */
  synced: boolean
  /**
   * Names (`Transport.name`, e.g. URLs) of relays this client stopped
   * trying because they refused it for good (auth failed, bad protocol
   * version), most preferred first; `lastError` says why.
   */
  failedRelays: string[]
}
