/**
 * What queries make of verified records: the owner's block list and follow
 * list from `u/<uid>`, the post buckets a user announced, the visible
 * records of a shared document (mods of the owner and authors the owner
 * blocked removed), and the views of posts, comments and messages.
 *
 * The per-document values are derived once per version of the document's
 * records ({@link DocReader.derive}) and shared: callers must not mutate
 * the arrays and sets they get.
 */
import { type DocId, userDocId } from '../docIds.js'
import { isUserId, type UserId } from '../Identity.js'
import { isTombstone, type SignedRecord } from '../records.js'
import type { RecordBodies } from '../schemas.js'
import type { DocReader } from './DocReader.js'
import { timeOfId } from './ids.js'
import { type PostRef, parseRef } from './refs.js'
import type { DocReads } from './TrackedQuery.js'
import type { CommentView, MessageView, PostView } from './views.js'

const noRecords: readonly SignedRecord[] = Object.freeze([])

function byType(reader: DocReader): Map<string, SignedRecord[]> {
  const out = new Map<string, SignedRecord[]>()
  for (const record of reader.records.values()) {
    const list = out.get(record.type)
    if (list === undefined) out.set(record.type, [record])
    else list.push(record)
  }
  return out
}

/** The records of one type among a reader's records (shared: do not mutate). */
export function recordsOfType<T extends SignedRecord['type']>(
  reader: DocReader | undefined,
  type: T,
): readonly SignedRecord<T>[] {
  if (reader === undefined) return noRecords as readonly SignedRecord<T>[]
  return (reader.derive(byType).get(type) ?? noRecords) as readonly SignedRecord<T>[]
}

const noUsers: ReadonlySet<UserId> = new Set()

function blocks(reader: DocReader): ReadonlySet<UserId> {
  return new Set(
    recordsOfType(reader, 'block')
      .map((r) => r.id)
      .filter(isUserId),
  )
}

/** The users `u/<uid>` blocks (record ids of its `block` records). */
export function blocksOf(reader: DocReader | undefined): ReadonlySet<UserId> {
  return reader === undefined ? noUsers : reader.derive(blocks)
}

function follows(reader: DocReader): readonly UserId[] {
  return recordsOfType(reader, 'follow')
    .map((r) => r.id)
    .filter(isUserId)
    .sort()
}

/** The users `u/<uid>` follows, sorted (shared: do not mutate). */
export function followsOf(reader: DocReader | undefined): readonly UserId[] {
  return reader === undefined ? [] : reader.derive(follows)
}

const monthPattern = /^\d{4}-(0[1-9]|1[0-2])$/

function buckets(reader: DocReader): readonly string[] {
  return recordsOfType(reader, 'bucket')
    .map((r) => r.id)
    .filter((m) => monthPattern.test(m))
    .sort()
    .reverse()
}

/** The months a user announced posts in (`bucket` records), newest first (shared). */
export function bucketsOf(reader: DocReader | undefined): readonly string[] {
  return reader === undefined ? [] : reader.derive(buckets)
}

/** A post (or its tombstone) with its slot and creation time. */
export interface TimedPost {
  /** The post record (a tombstone when the post was deleted). */
  post: SignedRecord<'post'>
  /** Its `author/id`. */
  slot: string
  /** Its creation time ({@link createdAt}). */
  at: number
}

/** Newest first: creation time, then author, then id, all descending. */
export function newestFirst(a: TimedPost, b: TimedPost): number {
  return b.at - a.at || cmp(b.post.author, a.post.author) || cmp(b.post.id, a.post.id)
}

/** The post claims of a bucket document, newest first, and how many are not tombstones. */
export interface ClaimedPosts {
  /** Newest first ({@link newestFirst}). */
  readonly posts: readonly TimedPost[]
  /** How many of them are not tombstones. */
  readonly live: number
}

const noClaims: ClaimedPosts = { posts: [], live: 0 }

function claimedPosts(reader: DocReader): ClaimedPosts {
  const posts: TimedPost[] = []
  let live = 0
  for (const [slot, record] of reader.claims) {
    if (record.type !== 'post') continue
    posts.push({ post: record as SignedRecord<'post'>, slot, at: createdAt(record) })
    if (!isTombstone(record)) live++
  }
  return { posts: posts.sort(newestFirst), live }
}

/**
 * The post claims of a bucket document (newest versions not known to be
 * invalid, verified or not, tombstones included), newest first
 * ({@link newestFirst}; shared). Show one only once
 * `reader.demand(slot)` says it is verified.
 */
export function claimedPostsOf(reader: DocReader | undefined): ClaimedPosts {
  return reader === undefined ? noClaims : reader.derive(claimedPosts)
}

/** The verified post `author/postId` of a bucket document (demanded from a lazy reader). */
export function postOf(
  reader: DocReader | undefined,
  author: UserId,
  postId: string,
): SignedRecord<'post'> | undefined {
  if (reader === undefined) return undefined
  const slot = `${author}/${postId}`
  reader.demand(slot)
  const record = reader.records.get(slot)
  return record?.type === 'post' ? (record as SignedRecord<'post'>) : undefined
}

interface Visible {
  owner: DocReader
  ownerVersion: number
  version: number
  records: readonly SignedRecord[]
}

const visibleCache = new WeakMap<DocReader, Visible>()

/**
 * The visible records of a shared document (`t/`, `r/`, `f/`): the owner's
 * `mod` records hide what they name, records by authors the owner blocked
 * are hidden, and the mod records themselves are left out. Returns
 * `undefined` while the document or the owner's `u/` document loads.
 */
export function visibleRecords(reads: DocReads, docId: DocId): readonly SignedRecord[] | undefined {
  const reader = reads.doc(docId)
  const owner = reader?.parsed.owner
  const ownerDoc = owner === undefined ? undefined : reads.doc(userDocId(owner))
  if (reader === undefined || owner === undefined || ownerDoc === undefined) return undefined
  const hit = visibleCache.get(reader)
  if (
    hit !== undefined &&
    hit.owner === ownerDoc &&
    hit.ownerVersion === ownerDoc.version &&
    hit.version === reader.version
  ) {
    return hit.records
  }
  const records = visibleOf(reader, owner, ownerDoc)
  visibleCache.set(reader, {
    owner: ownerDoc,
    ownerVersion: ownerDoc.version,
    version: reader.version,
    records,
  })
  return records
}

function visibleOf(reader: DocReader, owner: UserId, ownerDoc: DocReader): SignedRecord[] {
  const blocked = blocksOf(ownerDoc)
  const hidden = new Set<string>()
  for (const mod of recordsOfType(reader, 'mod')) {
    const body = mod.body as RecordBodies['mod']
    if (mod.author === owner) hidden.add(`${body.target.author}/${body.target.id}`)
  }
  const out: SignedRecord[] = []
  for (const [slot, record] of reader.records) {
    if (record.type === 'mod' || hidden.has(slot)) continue
    if (record.author !== owner && blocked.has(record.author)) continue
    out.push(record)
  }
  return out
}

/** Visible comments and reactions of a thread. */
export interface ThreadCounts {
  /** Visible comments. */
  readonly comments: readonly SignedRecord<'comment'>[]
  /** Visible reactions. */
  readonly reactions: readonly SignedRecord<'reaction'>[]
}

const threadCache = new WeakMap<readonly SignedRecord[], ThreadCounts>()

/** Splits a thread's visible records into comments and reactions (cached per list; shared). */
export function threadRecords(records: readonly SignedRecord[]): ThreadCounts {
  const hit = threadCache.get(records)
  if (hit !== undefined) return hit
  const counts = splitThread(records)
  threadCache.set(records, counts)
  return counts
}

function splitThread(records: readonly SignedRecord[]): ThreadCounts {
  const comments: SignedRecord<'comment'>[] = []
  const reactions: SignedRecord<'reaction'>[] = []
  for (const record of records) {
    if (record.type === 'comment') comments.push(record as SignedRecord<'comment'>)
    else if (record.type === 'reaction') reactions.push(record as SignedRecord<'reaction'>)
  }
  return { comments, reactions }
}

/**
 * Reaction counts by emoji, keys inserted in sorted order ({@link cmp}), so
 * every replica builds (serializes, renders) the same object whatever order
 * it received the reactions in.
 */
export function reactionCounts(
  reactions: readonly SignedRecord<'reaction'>[],
): Record<string, number> {
  const tally = new Map<string, number>()
  for (const r of reactions) {
    const emoji = (r.body as RecordBodies['reaction']).emoji
    tally.set(emoji, (tally.get(emoji) ?? 0) + 1)
  }
  const counts: Record<string, number> = {}
  for (const emoji of [...tally.keys()].sort(cmp)) {
    // defineProperty: an emoji such as "__proto__" is a key like any other.
    Object.defineProperty(counts, emoji, {
      value: tally.get(emoji),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return counts
}

/** Creation time of a record: the time in its id, else its own `at`. */
export function createdAt(record: SignedRecord): number {
  return timeOfId(record.id) ?? record.at
}

/** The view of a post record, with its thread's counts when loaded. */
export function postView(record: SignedRecord<'post'>, thread: ThreadCounts | undefined): PostView {
  const body = record.body as RecordBodies['post']
  const view: PostView = {
    ref: { author: record.author, postId: record.id },
    author: record.author,
    text: body.text,
    at: createdAt(record),
    rev: record.rev,
    comments: thread?.comments.length ?? 0,
    reactions: thread === undefined ? {} : reactionCounts(thread.reactions),
  }
  if (record.rev > 1) view.editedAt = record.at
  const replyTo = body.replyTo === undefined ? undefined : tryParseRef(body.replyTo)
  if (replyTo !== undefined) view.replyTo = replyTo
  return view
}

/** The view of a comment record of the thread of `post`. */
export function commentView(post: PostRef, record: SignedRecord<'comment'>): CommentView {
  return {
    ref: { post, author: record.author, commentId: record.id },
    author: record.author,
    text: (record.body as RecordBodies['comment']).text,
    at: createdAt(record),
    rev: record.rev,
  }
}

/** The view of a chat message record. */
export function messageView(record: SignedRecord<'message'>): MessageView {
  return {
    id: record.id,
    author: record.author,
    text: (record.body as RecordBodies['message']).text,
    at: createdAt(record),
    rev: record.rev,
  }
}

/** Orders by `at`, then author, then id (oldest first). */
export function byTimeAuthorId(
  a: { at: number; author: string; id: string },
  b: { at: number; author: string; id: string },
): number {
  return a.at - b.at || cmp(a.author, b.author) || cmp(a.id, b.id)
}

/** Plain string comparison (code units), for deterministic orders. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function tryParseRef(text: string): PostRef | undefined {
  try {
    return parseRef(text)
  } catch {
    return undefined
  }
}
