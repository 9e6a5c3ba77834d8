/**
 * What queries make of verified records: the owner's block list and follow
 * list from `u/<uid>`, the post buckets a user announced, the visible
 * records of a shared document (mods of the owner and authors the owner
 * blocked removed), and the views of posts, comments and messages.
 */
import { type DocId, userDocId } from '../docIds.js'
import { isUserId, type UserId } from '../Identity.js'
import type { SignedRecord } from '../records.js'
import type { RecordBodies } from '../schemas.js'
import type { DocReader } from './DocReader.js'
import { timeOfId } from './ids.js'
import { type PostRef, parseRef } from './refs.js'
import type { DocReads } from './TrackedQuery.js'
import type { CommentView, MessageView, PostView } from './views.js'

/** The records of one type among a reader's records. */
export function recordsOfType<T extends SignedRecord['type']>(
  reader: DocReader | undefined,
  type: T,
): SignedRecord<T>[] {
  if (reader === undefined) return []
  const out: SignedRecord<T>[] = []
  for (const record of reader.records.values()) {
    if (record.type === type) out.push(record as SignedRecord<T>)
  }
  return out
}

/** The users `u/<uid>` blocks (record ids of its `block` records). */
export function blocksOf(reader: DocReader | undefined): Set<UserId> {
  return new Set(
    recordsOfType(reader, 'block')
      .map((r) => r.id)
      .filter(isUserId),
  )
}

/** The users `u/<uid>` follows, sorted. */
export function followsOf(reader: DocReader | undefined): UserId[] {
  return recordsOfType(reader, 'follow')
    .map((r) => r.id)
    .filter(isUserId)
    .sort()
}

/** The months a user announced posts in (`bucket` records), newest first. */
export function bucketsOf(reader: DocReader | undefined): string[] {
  return recordsOfType(reader, 'bucket')
    .map((r) => r.id)
    .filter((m) => /^\d{4}-(0[1-9]|1[0-2])$/.test(m))
    .sort()
    .reverse()
}

/**
 * The visible records of a shared document (`t/`, `r/`, `f/`): the owner's
 * `mod` records hide what they name, records by authors the owner blocked
 * are hidden, and the mod records themselves are left out. Returns
 * `undefined` while the document or the owner's `u/` document loads.
 */
export function visibleRecords(reads: DocReads, docId: DocId): SignedRecord[] | undefined {
  const reader = reads.doc(docId)
  const owner = reader?.parsed.owner
  const ownerDoc = owner === undefined ? undefined : reads.doc(userDocId(owner))
  if (reader === undefined || owner === undefined || ownerDoc === undefined) return undefined
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
  comments: SignedRecord<'comment'>[]
  /** Visible reactions. */
  reactions: SignedRecord<'reaction'>[]
}

/** Splits a thread's visible records into comments and reactions. */
export function threadRecords(records: readonly SignedRecord[]): ThreadCounts {
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
