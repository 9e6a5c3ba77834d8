/**
 * Reads one document's records the way every reader must: for each entry
 * of the record map, the schema (`parseRecord`), the match between record,
 * key, document and Yjs item id, the permission of its author
 * (`checkPermission`), and its signature (async, through the shared
 * {@link RecordVerifier} cache); then the winning version per record
 * (`resolveVersions`), tombstones dropped. Invalid entries are counted in
 * {@link DropStats} and never shown.
 *
 * {@link DocReader.refresh} is synchronous: entries whose signature is not
 * in the verifier's cache stay pending (not shown) until
 * {@link DocReader.verifyPending} has checked them. Records this device
 * signs are put in the cache first, so they show at once.
 */
import type * as Y from 'yjs'
import { type DocId, type ParsedDocId, parseDocId } from '../docIds.js'
import { checkPermission } from '../permissions.js'
import {
  keyOfRecord,
  parseRecordKey,
  type RecordKey,
  recordsOf,
  resolveVersions,
} from '../recordMap.js'
import { isTombstone, parseRecord, type RecordVerifier, type SignedRecord } from '../records.js'
import { type DropReason, DropReasons, type DropStats } from './DropStats.js'

type EntryState = 'ok' | 'pending' | 'bad'

interface CheckedEntry {
  item: string
  state: EntryState
  parsed?: RecordKey
  record?: SignedRecord
}

/** The valid records of one document: winners per `author/id`, tombstones excluded. */
export class DocReader {
  /** The document id. */
  readonly docId: DocId
  /** The parsed document id. */
  readonly parsed: ParsedDocId
  readonly #doc: Y.Doc
  readonly #verifier: RecordVerifier
  readonly #drops: DropStats
  readonly #entries = new Map<string, CheckedEntry>()
  #winners: ReadonlyMap<string, SignedRecord> = new Map()
  #deleted: ReadonlySet<string> = new Set()

  /**
   * @param docId the document's id
   * @param doc the open Y.Doc
   * @param verifier signature verifier (cached)
   * @param drops where dropped records are counted
   */
  constructor(docId: DocId, doc: Y.Doc, verifier: RecordVerifier, drops: DropStats) {
    this.docId = docId
    this.parsed = parseDocId(docId)
    this.#doc = doc
    this.#verifier = verifier
    this.#drops = drops
  }

  /** The winning, valid, non-deleted records by `author/id`. */
  get records(): ReadonlyMap<string, SignedRecord> {
    return this.#winners
  }

  /** True when the winning valid version of `author/id` is a tombstone (the record was deleted). */
  isDeleted(slot: string): boolean {
    return this.#deleted.has(slot)
  }

  /** True while some entries wait for signature verification. */
  get pending(): boolean {
    for (const entry of this.#entries.values()) if (entry.state === 'pending') return true
    return false
  }

  /** Re-reads the record map; returns true when the visible records changed. */
  refresh(): boolean {
    const map = recordsOf(this.#doc)
    const valid: { parsed: RecordKey; record: SignedRecord }[] = []
    const live = new Set<string>()
    for (const [key, item] of map._map) {
      if (item.deleted) continue
      live.add(key)
      const itemTag = `${item.id.client}:${item.id.clock}`
      let entry = this.#entries.get(key)
      if (entry === undefined || entry.item !== itemTag) {
        entry = this.#check(key, map.get(key), item.id.client, item.id.clock, itemTag)
        this.#entries.set(key, entry)
      }
      if (entry.state === 'pending' && entry.record !== undefined) {
        const known = this.#verifier.known(entry.record)
        if (known === true) entry.state = 'ok'
        else if (known === false) this.#bad(entry, key, DropReasons.Signature)
      }
      if (entry.state === 'ok' && entry.parsed !== undefined && entry.record !== undefined) {
        valid.push({ parsed: entry.parsed, record: entry.record })
      }
    }
    for (const key of this.#entries.keys()) if (!live.has(key)) this.#entries.delete(key)
    const winners = new Map<string, SignedRecord>()
    const deleted = new Set<string>()
    for (const { parsed, record } of resolveVersions(valid)) {
      const slot = `${parsed.author}/${parsed.id}`
      if (isTombstone(record)) deleted.add(slot)
      else winners.set(slot, record)
    }
    this.#deleted = deleted
    const changed = !sameRecords(winners, this.#winners)
    if (changed) this.#winners = winners
    return changed
  }

  /** Verifies the pending signatures; resolves true when any entry was decided. */
  async verifyPending(): Promise<boolean> {
    const pending = [...this.#entries].filter(([, e]) => e.state === 'pending')
    if (pending.length === 0) return false
    await Promise.all(
      pending.map(async ([key, entry]) => {
        const record = entry.record
        if (record === undefined) return
        const ok = await this.#verifier.verify(record)
        if (entry.state !== 'pending') return
        if (ok) entry.state = 'ok'
        else this.#bad(entry, key, DropReasons.Signature)
      }),
    )
    return true
  }

  #check(key: string, value: unknown, client: number, clock: number, item: string): CheckedEntry {
    const entry: CheckedEntry = { item, state: 'bad' }
    const parsed = parseRecordKey(key)
    const record = parseRecord(value)
    if (parsed === null || record === null) return this.#bad(entry, key, DropReasons.Schema)
    if (keyOfRecord(record) !== key) return this.#bad(entry, key, DropReasons.Key)
    if (record.doc !== this.docId) return this.#bad(entry, key, DropReasons.Doc)
    if (record.yid[0] !== client || record.yid[1] !== clock) {
      return this.#bad(entry, key, DropReasons.ItemId)
    }
    if (checkPermission(this.parsed, record.author, record.type, record.id) !== null) {
      return this.#bad(entry, key, DropReasons.Permission)
    }
    entry.parsed = parsed
    entry.record = record
    entry.state = 'pending'
    return entry
  }

  #bad(entry: CheckedEntry, key: string, reason: DropReason): CheckedEntry {
    entry.state = 'bad'
    this.#drops.drop(`${this.docId}|${key}|${entry.item}`, reason)
    return entry
  }
}

function sameRecords(
  a: ReadonlyMap<string, SignedRecord>,
  b: ReadonlyMap<string, SignedRecord>,
): boolean {
  if (a.size !== b.size) return false
  for (const [slot, record] of a) {
    const other = b.get(slot)
    if (other === undefined || other.sig !== record.sig) return false
  }
  return true
}
