/**
 * Reads one document's records the way every reader must: for each entry
 * of the record map, the schema (`parseRecord`), the match between record,
 * key, document and Yjs item id, the permission of its author
 * (`checkPermission`), and its signature (async, through the shared
 * {@link RecordVerifier} cache); then the winning version per record
 * (highest `rev`, then highest client, as `resolveVersions`), tombstones
 * dropped. Invalid entries are counted in {@link DropStats} and never shown.
 *
 * The reader is incremental: it observes the record map and
 * {@link DocReader.refresh} re-checks only the entries whose keys changed
 * since the last refresh, and re-resolves only their `author/id` slots.
 * Each entry is parsed and checked once per Yjs item. {@link DocReader.version}
 * counts changes of the visible records, so derived values
 * ({@link DocReader.derive}) are computed once per version.
 *
 * {@link DocReader.refresh} is synchronous: entries whose signature is not
 * in the verifier's cache stay pending (not shown) until
 * {@link DocReader.verifyPending} has checked them. Records this device
 * signs are put in the cache first, so they show at once.
 *
 * A lazy reader (post buckets: a timeline opens hundreds of them and shows
 * a few of their posts) verifies an entry only once it is demanded: its
 * {@link DocReader.claims} are the newest versions not known to be invalid,
 * verified or not; a query picks the claims it would show and
 * {@link DocReader.demand}s them, and only verified ones appear in
 * {@link DocReader.records}. {@link DocReader.demandAll} makes it eager.
 */
import type * as Y from 'yjs'
import { type DocId, type ParsedDocId, parseDocId } from '../docIds.js'
import { checkPermission } from '../permissions.js'
import { keyOfRecord, parseRecordKey, type RecordKey, recordsOf } from '../recordMap.js'
import { isTombstone, parseRecord, type RecordVerifier, type SignedRecord } from '../records.js'
import { type DropReason, DropReasons, type DropStats } from './DropStats.js'

type EntryState = 'ok' | 'pending' | 'bad'

interface CheckedEntry {
  key: string
  item: string
  state: EntryState
  /** Its signature is to be verified (always, in an eager reader). */
  demanded: boolean
  slot?: string
  parsed?: RecordKey
  record?: SignedRecord
}

interface Derived {
  version: number
  value: unknown
}

/** The valid records of one document: winners per `author/id`, tombstones excluded. */
export class DocReader {
  /** The document id. */
  readonly docId: DocId
  /** The parsed document id. */
  readonly parsed: ParsedDocId
  readonly #map: Y.Map<unknown>
  readonly #verifier: RecordVerifier
  readonly #drops: DropStats
  readonly #lazy: boolean
  readonly #onDemand: () => void
  readonly #entries = new Map<string, CheckedEntry>()
  /** Keys of the checked (pending or valid) entries of each `author/id` slot. */
  readonly #slots = new Map<string, Set<CheckedEntry>>()
  /** Demanded entries waiting for verification. */
  readonly #pending = new Set<CheckedEntry>()
  readonly #winners = new Map<string, SignedRecord>()
  readonly #claims = new Map<string, CheckedEntry>()
  readonly #claimed = new Map<string, SignedRecord>()
  readonly #deleted = new Set<string>()
  readonly #derived = new Map<(reader: DocReader) => unknown, Derived>()
  /** Keys changed since the last refresh; `null` until the first (full) one. */
  #dirtyKeys: Set<string> | null = null
  /** Slots whose entries were decided by verification since the last refresh. */
  #dirtySlots = new Set<string>()
  #version = 0

  /**
   * @param docId the document's id
   * @param doc the open Y.Doc
   * @param verifier signature verifier (cached)
   * @param drops where dropped records are counted
   * @param lazy verify entries only when demanded
   * @param onDemand called when a demand left entries to verify or changed the records
   */
  constructor(
    docId: DocId,
    doc: Y.Doc,
    verifier: RecordVerifier,
    drops: DropStats,
    lazy = false,
    onDemand: () => void = () => undefined,
  ) {
    this.docId = docId
    this.parsed = parseDocId(docId)
    this.#map = recordsOf(doc)
    this.#verifier = verifier
    this.#drops = drops
    this.#lazy = lazy
    this.#onDemand = onDemand
    this.#map.observe((event) => {
      if (this.#dirtyKeys === null) return
      for (const key of event.keysChanged) this.#dirtyKeys.add(key)
    })
  }

  /** The winning, valid, non-deleted records by `author/id` (do not keep: it changes in place). */
  get records(): ReadonlyMap<string, SignedRecord> {
    return this.#winners
  }

  /**
   * Per `author/id`, the newest version not known to be invalid (verified
   * or not yet), tombstones included. In an eager reader, the same as
   * {@link DocReader.records} once nothing is pending, and its changes do
   * not count in {@link DocReader.version}. Changes in place.
   */
  get claims(): ReadonlyMap<string, SignedRecord> {
    return this.#claimed
  }

  /** True when the reader verifies only what is demanded. */
  get lazy(): boolean {
    return this.#lazy
  }

  /**
   * Asks for the claim of `slot` to be verified: `true` when it is (it is
   * then in {@link DocReader.records}, or deleted), `undefined` while its
   * verification is pending, `false` when there is no claim. A claim that
   * fails verification is dropped and the next version becomes the claim.
   */
  demand(slot: string): boolean | undefined {
    const entry = this.#claims.get(slot)
    if (entry === undefined) return false
    if (entry.state === 'ok') return true
    if (!entry.demanded) {
      this.#demandEntry(entry)
      this.#dirtySlots.delete(slot)
      if (this.#resolve(slot)) this.#version++
      this.#onDemand()
    }
    return stateOf(entry)
  }

  /** Demands every entry (the reader becomes eager); true when any was not demanded yet. */
  demandAll(): boolean {
    let any = false
    for (const entry of this.#entries.values()) {
      if (entry.state !== 'pending' || entry.demanded) continue
      this.#demandEntry(entry)
      any = true
    }
    return any
  }

  /** Increases whenever {@link DocReader.records}, a deletion or (lazy reader) a claim changes. */
  get version(): number {
    return this.#version
  }

  /** True when the winning valid version of `author/id` is a tombstone (the record was deleted). */
  isDeleted(slot: string): boolean {
    return this.#deleted.has(slot)
  }

  /** True while some entries wait for signature verification. */
  get pending(): boolean {
    return this.#pending.size > 0
  }

  /**
   * `fn(this)`, computed once per {@link DocReader.version}: `fn` must be a
   * pure function of the records (and, lazy reader, the claims), identified
   * by its identity (pass a module-level function). The result is shared:
   * do not mutate it.
   */
  derive<T>(fn: (reader: DocReader) => T): T {
    const hit = this.#derived.get(fn)
    if (hit !== undefined && hit.version === this.#version) return hit.value as T
    const value = fn(this)
    this.#derived.set(fn, { version: this.#version, value })
    return value
  }

  /**
   * Re-reads the changed entries of the record map; returns true when the
   * visible records (or, lazy reader, the claims) changed.
   */
  refresh(): boolean {
    const slots = this.#dirtySlots
    this.#dirtySlots = new Set()
    let keys: Iterable<string>
    if (this.#dirtyKeys === null) {
      keys = new Set([...this.#map._map.keys(), ...this.#entries.keys()])
    } else {
      keys = this.#dirtyKeys
    }
    this.#dirtyKeys = new Set()
    for (const key of keys) {
      const item = this.#map._map.get(key)
      const old = this.#entries.get(key)
      if (item === undefined || item.deleted) {
        if (old !== undefined) this.#remove(old, slots)
        continue
      }
      const itemTag = `${item.id.client}:${item.id.clock}`
      if (old?.item === itemTag) continue
      if (old !== undefined) this.#remove(old, slots)
      const entry = this.#check(key, this.#map.get(key), item.id.client, item.id.clock, itemTag)
      this.#entries.set(key, entry)
      if (entry.slot === undefined) continue
      let members = this.#slots.get(entry.slot)
      if (members === undefined) {
        members = new Set()
        this.#slots.set(entry.slot, members)
      }
      members.add(entry)
      slots.add(entry.slot)
      if (entry.state === 'pending' && entry.demanded) this.#pending.add(entry)
    }
    let changed = false
    for (const slot of slots) if (this.#resolve(slot)) changed = true
    if (changed) this.#version++
    return changed
  }

  /** Verifies the pending signatures; resolves true when any entry was decided. */
  async verifyPending(): Promise<boolean> {
    const pending = [...this.#pending]
    if (pending.length === 0) return false
    await Promise.all(
      pending.map(async (entry) => {
        const record = entry.record
        if (record === undefined) return
        const ok = await this.#verifier.verify(record)
        if (entry.state !== 'pending') return
        this.#decide(entry, ok)
      }),
    )
    return true
  }

  #demandEntry(entry: CheckedEntry): void {
    entry.demanded = true
    const known = entry.record === undefined ? false : this.#verifier.known(entry.record)
    if (known === undefined) this.#pending.add(entry)
    else this.#decide(entry, known)
  }

  /**
   * Picks the winner of a slot among its valid entries, and its claim among
   * those not known invalid; true when the visible records or the claim changed.
   */
  #resolve(slot: string): boolean {
    let best: CheckedEntry | undefined
    let claim: CheckedEntry | undefined
    for (const entry of this.#slots.get(slot) ?? []) {
      if (entry.state === 'bad') continue
      if (newer(entry, claim)) claim = entry
      if (entry.state === 'ok' && newer(entry, best)) best = entry
    }
    // Claims count as a change only where they are read: in lazy readers.
    let changed = false
    const claimed = claim?.record
    if (claimed === undefined) {
      changed = this.#claimed.delete(slot) && this.#lazy
      this.#claims.delete(slot)
    } else {
      changed =
        this.#lazy && (this.#claimed.get(slot) !== claimed || this.#claims.get(slot) !== claim)
      this.#claimed.set(slot, claimed)
      this.#claims.set(slot, claim as CheckedEntry)
    }
    const record = best?.record
    const before = this.#winners.get(slot)
    const wasDeleted = this.#deleted.has(slot)
    if (record === undefined) {
      this.#winners.delete(slot)
      this.#deleted.delete(slot)
      return changed || before !== undefined || wasDeleted
    }
    if (isTombstone(record)) {
      this.#winners.delete(slot)
      this.#deleted.add(slot)
      return changed || before !== undefined || !wasDeleted
    }
    this.#deleted.delete(slot)
    this.#winners.set(slot, record)
    return changed || before?.sig !== record.sig || wasDeleted
  }

  #remove(entry: CheckedEntry, slots: Set<string>): void {
    this.#entries.delete(entry.key)
    this.#pending.delete(entry)
    if (entry.slot === undefined) return
    const members = this.#slots.get(entry.slot)
    members?.delete(entry)
    if (members?.size === 0) this.#slots.delete(entry.slot)
    slots.add(entry.slot)
  }

  #decide(entry: CheckedEntry, ok: boolean): void {
    this.#pending.delete(entry)
    if (ok) entry.state = 'ok'
    else this.#bad(entry, DropReasons.Signature)
    entry.demanded = true
    if (entry.slot !== undefined && this.#entries.get(entry.key) === entry) {
      this.#dirtySlots.add(entry.slot)
    }
  }

  #check(key: string, value: unknown, client: number, clock: number, item: string): CheckedEntry {
    const entry: CheckedEntry = { key, item, state: 'bad', demanded: !this.#lazy }
    const parsed = parseRecordKey(key)
    const record = parseRecord(value)
    if (parsed === null || record === null) return this.#bad(entry, DropReasons.Schema)
    if (keyOfRecord(record) !== key) return this.#bad(entry, DropReasons.Key)
    if (record.doc !== this.docId) return this.#bad(entry, DropReasons.Doc)
    if (record.yid[0] !== client || record.yid[1] !== clock) {
      return this.#bad(entry, DropReasons.ItemId)
    }
    if (checkPermission(this.parsed, record.author, record.type, record.id) !== null) {
      return this.#bad(entry, DropReasons.Permission)
    }
    entry.parsed = parsed
    entry.record = record
    entry.slot = `${parsed.author}/${parsed.id}`
    entry.state = 'pending'
    if (!entry.demanded) return entry
    const known = this.#verifier.known(record)
    if (known === false) return this.#bad(entry, DropReasons.Signature)
    entry.state = known === true ? 'ok' : 'pending'
    return entry
  }

  #bad(entry: CheckedEntry, reason: DropReason): CheckedEntry {
    entry.state = 'bad'
    this.#drops.drop(`${this.docId}|${entry.key}|${entry.item}`, reason)
    return entry
  }
}

function stateOf(entry: CheckedEntry): boolean | undefined {
  return entry.state === 'ok' ? true : entry.state === 'pending' ? undefined : false
}

function newer(entry: CheckedEntry, than: CheckedEntry | undefined): boolean {
  const p = entry.parsed
  const b = than?.parsed
  if (p === undefined) return false
  return b === undefined || p.rev > b.rev || (p.rev === b.rev && p.client > b.client)
}
