/**
 * The record map of a document: one root `Y.Map` named `records` of flat
 * entries, key `author/id/rev/client` → signed record. One level only: no
 * nested Yjs types, no text.
 *
 * A record is never changed in place. {@link writeRecord} writes a new
 * version under a new key and deletes the versions it supersedes, in one
 * transaction; {@link resolveVersions} picks, per (author, id), the highest
 * `rev`, ties broken by the higher Yjs client id, so every replica resolves
 * the same way.
 */
import * as Y from 'yjs'
import { ErrorCodes, FeedmeshError } from './errors.js'
import type { Identity, UserId } from './Identity.js'
import { type SignedRecord, signRecord } from './records.js'
import type { RecordBodies, RecordType, Tombstone } from './schemas.js'

/** Name of the root map every document keeps its records in. */
export const RECORDS = 'records'

/** The parts of a record key. */
export interface RecordKey {
  /** The author's user id. */
  author: UserId
  /** The record id. */
  id: string
  /** The version. */
  rev: number
  /** The Yjs client id of the device that wrote this version. */
  client: number
}

/** Formats a record key, `author/id/rev/client`. */
export function formatRecordKey(author: UserId, id: string, rev: number, client: number): string {
  return `${author}/${id}/${rev}/${client}`
}

/** The key a signed record must be stored under. */
export function keyOfRecord(record: SignedRecord): string {
  return formatRecordKey(record.author, record.id, record.rev, record.yid[0])
}

const keyPattern =
  /^([A-Za-z0-9_-]{43})\/([A-Za-z0-9_.-]{1,128})\/([1-9][0-9]{0,9})\/(0|[1-9][0-9]{0,9})$/

/** Parses a record key; returns `null` when malformed. */
export function parseRecordKey(key: string): RecordKey | null {
  const m = keyPattern.exec(key)
  if (m === null) return null
  const rev = Number(m[3])
  const client = Number(m[4])
  if (rev > 2 ** 31 || client > 2 ** 32 - 1) return null
  return { author: m[1]!, id: m[2]!, rev, client }
}

/** Parses a record key or throws `bad-record-key`. */
export function requireRecordKey(key: string): RecordKey {
  const parsed = parseRecordKey(key)
  if (parsed === null) throw new FeedmeshError(ErrorCodes.BadRecordKey, `bad record key "${key}"`)
  return parsed
}

/** The `records` map of a document. */
export function recordsOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(RECORDS)
}

/** An entry of the record map whose key parsed. */
export interface RecordEntry {
  /** The map key. */
  key: string
  /** The parsed key. */
  parsed: RecordKey
  /** The stored value, not yet checked. */
  value: unknown
}

/** All live entries of a document's record map with a well-formed key. */
export function listEntries(doc: Y.Doc): RecordEntry[] {
  const out: RecordEntry[] = []
  recordsOf(doc).forEach((value, key) => {
    const parsed = parseRecordKey(key)
    if (parsed !== null) out.push({ key, parsed, value })
  })
  return out
}

/**
 * Keeps, per (author, id), the winning version: highest `rev`, then highest
 * client. Input order does not matter.
 */
export function resolveVersions<E extends { parsed: RecordKey }>(entries: Iterable<E>): E[] {
  const winners = new Map<string, E>()
  for (const entry of entries) {
    const slot = `${entry.parsed.author}/${entry.parsed.id}`
    const current = winners.get(slot)
    if (
      current === undefined ||
      entry.parsed.rev > current.parsed.rev ||
      (entry.parsed.rev === current.parsed.rev && entry.parsed.client > current.parsed.client)
    ) {
      winners.set(slot, entry)
    }
  }
  return [...winners.values()]
}

/** What to write: a record's type, id and body (or a tombstone). */
export interface RecordWrite<T extends RecordType = RecordType> {
  /** The record type. */
  type: T
  /** The record id. */
  id: string
  /** The body, or `{ deleted: true }` to delete. */
  body: RecordBodies[T] | Tombstone
}

/**
 * Writes new versions of records into `doc` as `identity`, in one Yjs
 * transaction: each gets `rev` = highest existing version + 1 and its Yjs
 * item id, is signed, and replaces (deletes) every version it supersedes.
 * Returns the signed records, in order.
 */
export function writeRecords(
  doc: Y.Doc,
  docId: string,
  identity: Identity,
  writes: readonly RecordWrite[],
  at: number,
  origin?: unknown,
): SignedRecord[] {
  const map = recordsOf(doc)
  const written: SignedRecord[] = []
  doc.transact(() => {
    for (const write of writes) {
      const prefix = `${identity.userId}/${write.id}/`
      const superseded: string[] = []
      let rev = 0
      for (const key of map.keys()) {
        if (!key.startsWith(prefix)) continue
        const parsed = parseRecordKey(key)
        if (parsed === null || parsed.id !== write.id) continue
        superseded.push(key)
        if (parsed.rev > rev) rev = parsed.rev
      }
      const client = doc.clientID
      const record = signRecord(identity, {
        doc: docId,
        author: identity.userId,
        type: write.type,
        id: write.id,
        rev: rev + 1,
        at,
        yid: [client, Y.getState(doc.store, client)],
        body: write.body,
      })
      Object.freeze(record)
      map.set(keyOfRecord(record), record)
      for (const key of superseded) map.delete(key)
      written.push(record)
    }
  }, origin)
  return written
}
