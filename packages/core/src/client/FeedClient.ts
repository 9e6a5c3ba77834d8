/**
 * The local-first feed client. Every write lands in the local replica
 * (visible in every open live query before the write resolves) and in
 * durable storage with its outbox entry; relays, when there are any, get it
 * through the {@link SyncEngine}. Reads are live queries over documents
 * opened on demand from storage and released when the query closes.
 *
 * Writes only ever create or supersede this user's own records: an edit is
 * a new version, a deletion a tombstone version, both in one transaction
 * with the deletion of the versions they supersede (`writeRecords`).
 */
import {
  type DocId,
  followersDocId,
  monthOf,
  parseDocId,
  postsDocId,
  roomDocId,
  userDocId,
} from '../docIds.js'
import { ErrorCodes, FeedmeshError } from '../errors.js'
import { type Identity, isUserId, type UserId } from '../Identity.js'
import type { RecordWrite } from '../recordMap.js'
import { type RecordVerifier, sharedVerifier } from '../records.js'
import { isValidBody, type RecordBodies, type RecordType } from '../schemas.js'
import { MemoryStorage } from '../storage/MemoryStorage.js'
import type { StorageAdapter } from '../storage/StorageAdapter.js'
import type { Transport } from '../transport/Transport.js'
import type { DocReader } from './DocReader.js'
import { DocStore } from './DocStore.js'
import { type DropReason, DropStats } from './DropStats.js'
import { modId, newId, reactionId } from './ids.js'
import type { LiveQuery, PagedLiveQuery } from './LiveQuery.js'
import { PostsQuery } from './PostsQuery.js'
import { Presence, type PresenceState } from './Presence.js'
import { ProfileQuery } from './ProfileQuery.js'
import { RoomQuery } from './RoomQuery.js'
import {
  type CommentRef,
  checkPostRef,
  formatRef,
  type PostRef,
  postDocOf,
  type RoomRef,
  threadOf,
} from './refs.js'
import { type BackoffOptions, SyncEngine, type Timers } from './SyncEngine.js'
import { SyncStatusQuery } from './SyncStatusQuery.js'
import { ThreadQuery } from './ThreadQuery.js'
import type { TrackedQuery } from './TrackedQuery.js'
import { UserListQuery, UserLists } from './UserListQuery.js'
import type { PostsView, ProfileView, RoomView, SyncStatus, ThreadView } from './views.js'

/** Options of {@link FeedClient.open}. */
export interface FeedClientOptions {
  /** The user's key pair. */
  identity: Identity
  /** Where replicas and the outbox live (default: a new `MemoryStorage`, closed with the client). */
  storage?: StorageAdapter
  /** Relays in order of preference; empty or absent: offline only. */
  transports?: readonly Transport[]
  /** Clock in ms (injectable for tests). */
  now?: () => number
  /** Signature verifier (default: the shared one). */
  verifier?: RecordVerifier
  /** Compact a document's log after this many updates (default 50). */
  compactAfter?: number
  /** Reconnection backoff. */
  backoff?: BackoffOptions
  /** Timers of the sync engine (injectable for tests). */
  timers?: Timers
  /** Random numbers for backoff jitter (injectable for tests). */
  random?: () => number
}

/** Counters of a client. */
export interface ClientStats {
  /** Records dropped for schema, match, permission or signature failures. */
  droppedRecords: number
  /** Dropped records by reason. */
  dropped: Record<DropReason, number>
  /** Documents open now (including those closing). */
  openDocs: number
  /** Snapshots written by log compaction. */
  compactions: number
  /** Live queries and presences open now (closed ones are dropped at once). */
  openQueries: number
}

/** Default page size of timelines and post lists. */
const defaultPageSize = 20

/** A local-first feed client for one identity. */
export class FeedClient {
  /** This client's user id. */
  readonly userId: UserId
  readonly #identity: Identity
  readonly #storage: StorageAdapter
  readonly #ownsStorage: boolean
  readonly #now: () => number
  readonly #drops = new DropStats()
  readonly #store: DocStore
  readonly #engine: SyncEngine
  readonly #queries = new Set<{ close(): void }>()
  #closed = false

  private constructor(options: FeedClientOptions) {
    this.#identity = options.identity
    this.userId = options.identity.userId
    this.#ownsStorage = options.storage === undefined
    this.#storage = options.storage ?? new MemoryStorage()
    this.#now = options.now ?? Date.now
    this.#store = new DocStore({
      storage: this.#storage,
      identity: options.identity,
      verifier: options.verifier ?? sharedVerifier,
      drops: this.#drops,
      compactAfter: options.compactAfter,
    })
    this.#engine = new SyncEngine({
      store: this.#store,
      storage: this.#storage,
      transports: options.transports ?? [],
      now: this.#now,
      backoff: options.backoff,
      timers: options.timers,
      random: options.random,
    })
  }

  /** Opens a client: reads the outbox size and connects to the preferred relay, if any. */
  static async open(options: FeedClientOptions): Promise<FeedClient> {
    const client = new FeedClient(options)
    await client.#engine.start()
    return client
  }

  /** Sets this user's profile. */
  async setProfile(p: { name: string; bio?: string; avatar?: string }): Promise<void> {
    const body: RecordBodies['profile'] = { name: p.name }
    if (p.bio !== undefined) body.bio = p.bio
    if (p.avatar !== undefined) body.avatar = p.avatar
    await this.#write([
      { docId: userDocId(this.userId), plan: () => [rec('profile', 'profile', body)] },
    ])
  }

  /** Posts `text` (optionally as a reply); returns the new post's reference. */
  async post(text: string, options?: { replyTo?: PostRef }): Promise<PostRef> {
    const at = this.#now()
    const postId = newId(at)
    const month = monthOf(at)
    const body: RecordBodies['post'] = { text }
    if (options?.replyTo !== undefined) body.replyTo = formatRef(checkPostRef(options.replyTo))
    const me = this.userId
    await this.#write(
      [
        { docId: postsDocId(me, month), plan: () => [rec('post', postId, body)] },
        {
          docId: userDocId(me),
          plan: (reader) =>
            reader.records.has(`${me}/${month}`) ? [] : [rec('bucket', month, {})],
        },
      ],
      at,
    )
    return { author: me, postId }
  }

  /**
   * Replaces the text of one of this user's posts (keeps its `replyTo`).
   * Throws `bad-argument` when this device does not have the post, or it
   * was deleted.
   */
  async editPost(ref: PostRef, text: string): Promise<void> {
    this.#own(checkPostRef(ref).author, 'post')
    await this.#write([
      {
        docId: postDocOf(ref),
        plan: (reader) => {
          const current = existing(reader, this.userId, ref.postId, 'post')
          const body: RecordBodies['post'] = { ...(current.body as RecordBodies['post']), text }
          return [rec('post', ref.postId, body)]
        },
      },
    ])
  }

  /**
   * Deletes one of this user's posts (a tombstone version); a no-op when it
   * is already deleted. Throws `bad-argument` when this device does not
   * have the post.
   */
  async deletePost(ref: PostRef): Promise<void> {
    this.#own(checkPostRef(ref).author, 'post')
    await this.#write([
      { docId: postDocOf(ref), plan: (r) => this.#delete(r, 'post', ref.postId, true) },
    ])
  }

  /** Comments on a post; returns the new comment's reference. */
  async comment(ref: PostRef, text: string): Promise<CommentRef> {
    checkPostRef(ref)
    const at = this.#now()
    const commentId = newId(at)
    await this.#write(
      [{ docId: threadOf(ref), plan: () => [rec('comment', commentId, { text })] }],
      at,
    )
    return { post: { author: ref.author, postId: ref.postId }, author: this.userId, commentId }
  }

  /** Replaces the text of one of this user's comments; throws `bad-argument` like {@link FeedClient.editPost}. */
  async editComment(ref: CommentRef, text: string): Promise<void> {
    this.#own(ref.author, 'comment')
    checkPostRef(ref.post)
    await this.#write([
      {
        docId: threadOf(ref.post),
        plan: (reader) => {
          existing(reader, this.userId, ref.commentId, 'comment')
          return [rec('comment', ref.commentId, { text })]
        },
      },
    ])
  }

  /**
   * Deletes one of this user's comments; a no-op when it is already
   * deleted. Throws `bad-argument` when this device does not have it.
   */
  async deleteComment(ref: CommentRef): Promise<void> {
    this.#own(ref.author, 'comment')
    const docId = threadOf(checkPostRef(ref.post))
    await this.#write([{ docId, plan: (r) => this.#delete(r, 'comment', ref.commentId, true) }])
  }

  /** Reacts to a post with an emoji (once per emoji). */
  async react(ref: PostRef, emoji: string): Promise<void> {
    checkPostRef(ref)
    const id = reactionId(emoji)
    await this.#write([{ docId: threadOf(ref), plan: () => [rec('reaction', id, { emoji })] }])
  }

  /** Takes a reaction back; a no-op when there is none. */
  async unreact(ref: PostRef, emoji: string): Promise<void> {
    checkPostRef(ref)
    await this.#tombstone(threadOf(ref), 'reaction', reactionId(emoji))
  }

  /** Follows a user: a `follow` record in `u/<me>` and an edge in `f/<uid>`. */
  async follow(uid: UserId): Promise<void> {
    this.#otherUser(uid)
    await this.#write([
      { docId: userDocId(this.userId), plan: () => [rec('follow', uid, {})] },
      { docId: followersDocId(uid), plan: () => [rec('follower', 'edge', {})] },
    ])
  }

  /** Unfollows a user: tombstones of the follow record and of the edge. */
  async unfollow(uid: UserId): Promise<void> {
    this.#otherUser(uid)
    await this.#write([
      { docId: userDocId(this.userId), plan: (r) => this.#delete(r, 'follow', uid) },
      { docId: followersDocId(uid), plan: (r) => this.#delete(r, 'follower', 'edge') },
    ])
  }

  /** Blocks a user: readers hide their records in this user's threads, rooms and follower set. */
  async block(uid: UserId): Promise<void> {
    this.#otherUser(uid)
    await this.#write([{ docId: userDocId(this.userId), plan: () => [rec('block', uid, {})] }])
  }

  /** Unblocks a user. */
  async unblock(uid: UserId): Promise<void> {
    this.#otherUser(uid)
    await this.#tombstone(userDocId(this.userId), 'block', uid)
  }

  /** Hides an entry of one of this user's threads, rooms or follower set (a `mod` record). */
  async hide(docId: DocId, target: { author: UserId; id: string }): Promise<void> {
    this.#moderated(docId)
    const body: RecordBodies['mod'] = {
      action: 'hide',
      target: { author: target.author, id: target.id },
    }
    await this.#write([{ docId, plan: () => [rec('mod', modId(target), body)] }])
  }

  /** Takes a hide back. */
  async unhide(docId: DocId, target: { author: UserId; id: string }): Promise<void> {
    this.#moderated(docId)
    await this.#tombstone(docId, 'mod', modId(target))
  }

  /** Says something in a chat room; returns the message id. */
  async say(room: RoomRef, text: string): Promise<string> {
    const docId = roomDocId(room.owner, room.room)
    parseDocId(docId)
    const at = this.#now()
    const id = newId(at)
    await this.#write([{ docId, plan: () => [rec('message', id, { text })] }], at)
    return id
  }

  /** This user's and followed users' posts, newest first, paged. */
  timeline(options?: { pageSize?: number }): PagedLiveQuery<PostsView> {
    return this.#track(new PostsQuery(this.#store, { timelineOf: this.userId }, pageSize(options)))
  }

  /** One user's posts, newest first, paged. */
  posts(uid: UserId, options?: { pageSize?: number }): PagedLiveQuery<PostsView> {
    checkUser(uid)
    return this.#track(new PostsQuery(this.#store, { postsOf: uid }, pageSize(options)))
  }

  /** A post with its comments and reactions. */
  thread(ref: PostRef): LiveQuery<ThreadView> {
    return this.#track(new ThreadQuery(this.#store, checkPostRef(ref), this.userId))
  }

  /** A user's profile and follow counts. */
  profile(uid: UserId): LiveQuery<ProfileView> {
    checkUser(uid)
    return this.#track(new ProfileQuery(this.#store, uid))
  }

  /** The users following `uid` (visible edges), sorted. */
  followers(uid: UserId): LiveQuery<UserId[]> {
    checkUser(uid)
    return this.#track(new UserListQuery(this.#store, uid, UserLists.Followers))
  }

  /** The users `uid` follows, sorted. */
  following(uid: UserId): LiveQuery<UserId[]> {
    checkUser(uid)
    return this.#track(new UserListQuery(this.#store, uid, UserLists.Following))
  }

  /** Mutual follows of `uid`: users it follows that follow it back, sorted. */
  friends(uid: UserId): LiveQuery<UserId[]> {
    checkUser(uid)
    return this.#track(new UserListQuery(this.#store, uid, UserLists.Friends))
  }

  /** A chat room's messages. */
  room(room: RoomRef): LiveQuery<RoomView> {
    parseDocId(roomDocId(room.owner, room.room))
    return this.#track(new RoomQuery(this.#store, room))
  }

  /** Online state, relay, pending writes, last acknowledgement and error. */
  syncStatus(): LiveQuery<SyncStatus> {
    this.#open()
    return this.#track(new SyncStatusQuery(this.#engine))
  }

  /**
   * Resolves once the client is connected and every open document has
   * been answered by the relay in use and the answers are applied (the
   * status is `synced`), and the client is settled: live queries then show
   * what the relay holds. Documents that queries open meanwhile are waited
   * for too. Rejects with `FeedmeshError` `timeout` after `timeoutMs`
   * (default 15 000), `no-relay` when there is no relay to wait for, or
   * `closed`.
   */
  async whenSynced(options?: { timeoutMs?: number }): Promise<void> {
    this.#open()
    const timeoutMs = options?.timeoutMs ?? 15_000
    const deadline = Date.now() + timeoutMs
    for (;;) {
      await this.#engine.whenSynced(Math.max(0, deadline - Date.now()))
      await this.settled()
      if (this.#engine.status.synced) return
    }
  }

  /**
   * Presence in a room or any document (who is here, who is typing):
   * relayed to the document's other subscribers, never stored. `initial`
   * is this client's first state (`null` or absent: watch only); change it
   * with `set()`, leave with `close()`.
   */
  presence(target: RoomRef | DocId, initial?: PresenceState | null): Presence {
    this.#open()
    const docId = typeof target === 'string' ? target : roomDocId(target.owner, target.room)
    parseDocId(docId)
    const query: Presence = new Presence({
      engine: this.#engine,
      store: this.#store,
      docId,
      userId: this.userId,
      initial,
      onClose: () => this.#queries.delete(query),
    })
    this.#queries.add(query)
    return query
  }

  /** Counters: dropped records, open documents, compactions, open queries. */
  stats(): ClientStats {
    return {
      droppedRecords: this.#drops.total,
      dropped: { ...this.#drops.byReason },
      openDocs: this.#store.openCount,
      compactions: this.#store.compactions,
      openQueries: this.#queries.size,
    }
  }

  /**
   * Resolves once the client is quiet: no document loading, no signature
   * being verified (so every live query shows what has arrived so far), no
   * storage write, document close or outbox bookkeeping in flight. Work
   * that starts while waiting is waited for too. Messages still on the
   * network are not the client's: run the transport until it is quiet and
   * then await this.
   */
  async settled(): Promise<void> {
    do {
      await this.#store.settled()
      await this.#engine.idle()
    } while (this.#store.busy || this.#engine.busy)
  }

  /** Closes every query, disconnects, waits for pending writes; closes the storage it created. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const query of [...this.#queries]) query.close()
    this.#queries.clear()
    this.#engine.stop()
    await this.#store.close()
    if (this.#ownsStorage) await this.#storage.close()
  }

  #track<Q extends Pick<TrackedQuery<unknown>, 'close' | 'onClose'>>(query: Q): Q {
    if (this.#closed) {
      query.close()
      this.#open()
    }
    this.#queries.add(query)
    query.onClose(() => this.#queries.delete(query))
    return query
  }

  /**
   * Opens the documents, plans each one's writes from its current records,
   * writes them all (visible at once), then waits until they are durable.
   */
  async #write(
    parts: readonly { docId: DocId; plan: (reader: DocReader) => RecordWrite[] }[],
    at?: number,
  ): Promise<void> {
    this.#open()
    const docIds = parts.map((p) => p.docId)
    const held: DocId[] = []
    try {
      await Promise.all(
        docIds.map((docId) => {
          held.push(docId)
          return this.#store.acquire(docId)
        }),
      )
      // Plans read the records: lazily read buckets get every record verified first.
      await Promise.all(docIds.map((docId) => this.#store.verified(docId)))
      this.#open()
      const planned = parts.map(({ docId, plan }) => {
        const reader = this.#store.reader(docId)
        if (reader === undefined)
          throw new FeedmeshError(ErrorCodes.Storage, `${docId} did not open`)
        const writes = plan(reader)
        for (const w of writes) {
          if (!isValidBody(w.type, w.body)) {
            throw new FeedmeshError(ErrorCodes.BadArgument, `invalid ${w.type}: check its fields`)
          }
        }
        return { docId, writes }
      })
      const time = at ?? this.#now()
      const durable = planned
        .filter((p) => p.writes.length > 0)
        .map((p) => this.#store.write(p.docId, p.writes, time).durable)
      await Promise.all(durable)
    } finally {
      for (const docId of held) this.#store.release(docId)
    }
  }

  #tombstone(docId: DocId, type: RecordType, id: string): Promise<void> {
    return this.#write([{ docId, plan: (reader) => this.#delete(reader, type, id) }])
  }

  /**
   * The tombstone of this user's record `id`, or nothing when there is no
   * such record; with `known`, a record this device has never seen (neither
   * live nor deleted) is an error.
   */
  #delete(reader: DocReader, type: RecordType, id: string, known = false): RecordWrite[] {
    const slot = `${this.userId}/${id}`
    const current = reader.records.get(slot)
    if (current !== undefined && current.type === type) return [rec(type, id, { deleted: true })]
    if (known && current === undefined && !reader.isDeleted(slot)) {
      throw new FeedmeshError(ErrorCodes.BadArgument, `unknown ${type} ${id}`)
    }
    return []
  }

  #own(author: UserId, what: string): void {
    if (author !== this.userId) {
      throw new FeedmeshError(ErrorCodes.BadArgument, `only its author can change a ${what}`)
    }
  }

  #otherUser(uid: UserId): void {
    checkUser(uid)
    if (uid === this.userId) throw new FeedmeshError(ErrorCodes.BadArgument, 'that is you')
  }

  #moderated(docId: DocId): void {
    const parsed = parseDocId(docId)
    if (parsed.owner !== this.userId || !['t', 'r', 'f'].includes(parsed.kind)) {
      throw new FeedmeshError(
        ErrorCodes.BadArgument,
        'only the owner of a thread, room or follower set can hide its entries',
      )
    }
  }

  #open(): void {
    if (this.#closed) throw new FeedmeshError(ErrorCodes.Closed, 'the client is closed')
  }
}

function rec<T extends RecordType>(type: T, id: string, body: RecordWrite<T>['body']): RecordWrite {
  return { type, id, body } as RecordWrite
}

function existing(reader: DocReader, me: UserId, id: string, type: RecordType) {
  const slot = `${me}/${id}`
  const record = reader.records.get(slot)
  if (record === undefined || record.type !== type) {
    const why = record === undefined && reader.isDeleted(slot) ? 'deleted' : 'unknown'
    throw new FeedmeshError(ErrorCodes.BadArgument, `${why} ${type} ${id}`)
  }
  return record
}

function checkUser(uid: UserId): void {
  if (!isUserId(uid)) throw new FeedmeshError(ErrorCodes.BadArgument, `not a user id: ${uid}`)
}

function pageSize(options?: { pageSize?: number }): number {
  const size = options?.pageSize ?? defaultPageSize
  if (!Number.isInteger(size) || size < 1 || size > 1000) {
    throw new FeedmeshError(ErrorCodes.BadArgument, 'pageSize must be an integer from 1 to 1000')
  }
  return size
}
