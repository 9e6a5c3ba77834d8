/**
 * The documents a client has open. A document is opened on demand from
 * storage and reference-counted: {@link DocStore.acquire} opens it (loads
 * its log, applies it with the `storage` origin, reads and verifies its
 * records), {@link DocStore.release} closes it when its last user lets go,
 * once its pending writes are durable. Nothing keeps a document open that
 * nobody uses.
 *
 * Every change is persisted. Yjs transaction origins tell where an update
 * came from:
 * - {@link Origins.Local}: this device wrote records ({@link DocStore.write});
 *   the update is appended to the log AND the outbox in one step;
 * - {@link Origins.Remote}: a relay delivered it; appended to the log only;
 * - {@link Origins.Storage}: loaded from the log; not stored again.
 *
 * A document whose log grew past `compactAfter` updates is compacted into
 * one snapshot. Changes of the visible records are reported to watchers
 * synchronously for local writes (read-your-writes) and after signature
 * verification for remote ones.
 *
 * Post buckets (`p/`) are read lazily: their records are verified only
 * when a query demands them (a timeline opens hundreds of buckets and shows
 * a few posts; see {@link DocReader}), or all at once before a write is
 * planned from them ({@link DocStore.verified}).
 *
 * Verification is asynchronous (native Ed25519 runs on a thread pool, so it
 * completes after an unbounded number of event-loop turns): every load,
 * verification pass and storage append is tracked, and
 * {@link DocStore.settled} resolves only when none is left, i.e. when every
 * watcher has seen the final state of what arrived so far.
 */
import * as Y from 'yjs'
import type { DocId } from '../docIds.js'
import { ErrorCodes, FeedmeshError } from '../errors.js'
import type { Identity } from '../Identity.js'
import { type RecordWrite, writeRecords } from '../recordMap.js'
import type { RecordVerifier, SignedRecord } from '../records.js'
import type { StorageAdapter } from '../storage/StorageAdapter.js'
import { DocReader } from './DocReader.js'
import type { DropStats } from './DropStats.js'
import { type RelayDocState, repairUpdate } from './repairUpdate.js'
import { WorkTracker } from './WorkTracker.js'

/** Transaction origins of the client, as a const object. */
export const Origins = {
  /** Records this device wrote. */
  Local: 'feedmesh:local',
  /** An update from a relay. */
  Remote: 'feedmesh:remote',
  /** An update loaded from storage. */
  Storage: 'feedmesh:storage',
} as const

/** Options of a {@link DocStore}. */
export interface DocStoreOptions {
  /** Where documents are kept. */
  storage: StorageAdapter
  /** The identity local writes are signed with. */
  identity: Identity
  /** Signature verifier (cached). */
  verifier: RecordVerifier
  /** Dropped-record counters. */
  drops: DropStats
  /** Compact a document's log once it holds more than this many updates (default 50). */
  compactAfter?: number
  /**
   * While some of its documents are still loading or verifying, a live
   * query shows partial results at most this often (ms; default 50).
   */
  progressDelayMs?: number
}

/** What a {@link DocStore} reports to the sync engine. */
export interface DocStoreEvents {
  /** A document finished opening. */
  open(docId: DocId, doc: Y.Doc): void
  /** A document closed. */
  close(docId: DocId): void
  /** A local update is durable in the log and the outbox under `seq`. */
  local(docId: DocId, update: Uint8Array, seq: number): void
}

interface OpenDoc {
  docId: DocId
  doc: Y.Doc
  refs: number
  loaded: boolean
  announced: boolean
  reader?: DocReader
  ready: Promise<void>
  /** Pending appends, in order. */
  writes: Promise<unknown>
  logSize: number
  lastSeq: number
  compacting: boolean
  watchers: Set<(local: boolean) => void>
  verifying: boolean
  reverify: boolean
  /** The current verification pass (see `#verify`). */
  verification: Promise<void>
  /** A verification pass is scheduled for what a query demanded. */
  demanded: boolean
  /** Relay updates that arrived before the document could take them (see `applyRemote`). */
  early: Uint8Array[]
}

/** The refcounted set of open documents of one client. */
export class DocStore {
  readonly #storage: StorageAdapter
  readonly #identity: Identity
  readonly #verifier: RecordVerifier
  readonly #drops: DropStats
  readonly #compactAfter: number
  readonly #docs = new Map<DocId, OpenDoc>()
  readonly #work = new WorkTracker()
  readonly #listeners = new Set<Partial<DocStoreEvents>>()
  #closed = false
  /** See {@link DocStoreOptions.progressDelayMs}. */
  readonly progressDelayMs: number
  /** How many snapshots were written. */
  compactions = 0
  /** The last storage failure, if any. */
  lastStorageError: unknown

  /** @param options storage, identity, verifier and counters */
  constructor(options: DocStoreOptions) {
    this.#storage = options.storage
    this.#identity = options.identity
    this.#verifier = options.verifier
    this.#drops = options.drops
    this.#compactAfter = options.compactAfter ?? 50
    this.progressDelayMs = options.progressDelayMs ?? 50
  }

  /** Number of open (or loading, or closing) documents. */
  get openCount(): number {
    return this.#docs.size
  }

  /** Ids of the documents that are open and loaded. */
  openDocs(): { docId: DocId; doc: Y.Doc }[] {
    return [...this.#docs.values()]
      .filter((d) => d.loaded && d.refs > 0)
      .map((d) => ({ docId: d.docId, doc: d.doc }))
  }

  /** Listens to open/close/local events; returns the unsubscribe function. */
  on(listener: Partial<DocStoreEvents>): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Takes a reference to a document, opening it from storage when needed.
   * The reference is taken at once; the promise resolves when the document
   * is loaded and its records verified.
   */
  acquire(docId: DocId): Promise<void> {
    if (this.#closed) return Promise.reject(closed())
    const open = this.#docs.get(docId)
    if (open !== undefined) {
      open.refs++
      return open.ready
    }
    // An explicit guid: the default one costs ~30 calls into the platform's
    // random source, which dominated opening a thousand documents.
    const doc = new Y.Doc({ gc: false, guid: docId })
    const entry: OpenDoc = {
      docId,
      doc,
      refs: 1,
      loaded: false,
      announced: false,
      ready: Promise.resolve(),
      writes: Promise.resolve(),
      logSize: 0,
      lastSeq: 0,
      compacting: false,
      watchers: new Set(),
      verifying: false,
      reverify: false,
      verification: Promise.resolve(),
      demanded: false,
      early: [],
    }
    this.#docs.set(docId, entry)
    entry.ready = this.#work.track(this.#load(entry))
    return entry.ready
  }

  /** Drops a reference; the last one closes the document once its writes are durable. */
  release(docId: DocId): void {
    const entry = this.#docs.get(docId)
    if (entry === undefined || entry.refs === 0) return
    entry.refs--
    if (entry.refs > 0) return
    const closing = (async () => {
      await entry.ready.catch(() => undefined)
      await entry.writes.catch(() => undefined)
      if (entry.refs > 0 || this.#docs.get(docId) !== entry) return
      this.#docs.delete(docId)
      entry.doc.destroy()
      if (entry.announced) this.#emit('close', docId)
    })()
    this.#work.track(closing)
  }

  /** The reader of a loaded document, or `undefined` while it is not open and loaded. */
  reader(docId: DocId): DocReader | undefined {
    const entry = this.#docs.get(docId)
    return entry?.loaded === true ? entry.reader : undefined
  }

  /**
   * Counts `work` (e.g. a live query's pending recomputation) as in flight
   * until it settles, so {@link DocStore.settled} waits for it.
   */
  track<T>(work: Promise<T>): Promise<T> {
    return this.#work.track(work)
  }

  /** True while loads, verifications, appends or closes are in flight. */
  get busy(): boolean {
    return this.#work.busy
  }

  /** True when the document is loaded and has no signature left to verify. */
  isSettled(docId: DocId): boolean {
    const entry = this.#docs.get(docId)
    return entry?.loaded === true && entry.reader?.pending === false && !entry.verifying
  }

  /**
   * Calls `watcher` whenever the visible records of `docId` change, or its
   * verification ends; `local` is true for this device's own writes (the
   * watcher must then update before {@link DocStore.write} returns).
   * Returns the unwatch function.
   */
  watch(docId: DocId, watcher: (local: boolean) => void): () => void {
    const entry = this.#docs.get(docId)
    if (entry === undefined) return () => undefined
    entry.watchers.add(watcher)
    return () => entry.watchers.delete(watcher)
  }

  /**
   * Writes records into an open document as this client's identity, in one
   * transaction, remembers their signatures (so they show at once) and
   * notifies watchers before returning. `durable` resolves once the update
   * is in the log and the outbox.
   */
  write(
    docId: DocId,
    writes: readonly RecordWrite[],
    at: number,
  ): { records: SignedRecord[]; durable: Promise<void> } {
    const entry = this.#docs.get(docId)
    if (entry === undefined || !entry.loaded || entry.refs === 0) {
      throw new FeedmeshError(ErrorCodes.BadArgument, `document ${docId} is not open`)
    }
    const records = writeRecords(entry.doc, docId, this.#identity, writes, at, Origins.Local)
    for (const record of records) this.#verifier.remember(record)
    this.#changed(entry, true)
    return { records, durable: entry.writes.then(() => undefined) }
  }

  /**
   * Applies a relay's update: to the open document, or straight to storage
   * when closed. A document still reading its log keeps the update until the
   * log is applied; from then on (also while its records are being
   * verified) updates go into the document, are persisted and verified.
   */
  applyRemote(docId: DocId, update: Uint8Array): Promise<void> {
    const entry = this.#docs.get(docId)
    if (entry === undefined) {
      if (this.#closed) return Promise.resolve()
      return this.#work.track(this.#storage.append(docId, update, false).then(() => undefined))
    }
    if (entry.reader === undefined) {
      entry.early.push(update)
      return entry.ready
    }
    Y.applyUpdate(entry.doc, update, Origins.Remote)
    return entry.writes.then(() => undefined)
  }

  /**
   * The update that gives a relay this user's items and deletions it lacks
   * in `docId` (see repairUpdate.ts); `null` when there are none or the
   * document is not open and loaded.
   */
  repairFor(docId: DocId, relay: RelayDocState): Uint8Array | null {
    const entry = this.#docs.get(docId)
    if (entry?.loaded !== true) return null
    return repairUpdate(entry.doc, this.#identity.userId, relay)
  }

  /**
   * Resolves once nothing is in flight: no document loading, verifying,
   * appending to storage or closing (also work that started while waiting).
   * Watchers are notified synchronously, so every live query then shows
   * the final state of what has arrived.
   */
  settled(): Promise<void> {
    return this.#work.idle()
  }

  /** Waits for every pending write, closes every document; later acquires reject. */
  async close(): Promise<void> {
    this.#closed = true
    await Promise.all([...this.#docs.values()].map((e) => e.ready.catch(() => undefined)))
    await Promise.all([...this.#docs.values()].map((e) => e.writes.catch(() => undefined)))
    await this.#work.idle()
    for (const entry of this.#docs.values()) entry.doc.destroy()
    this.#docs.clear()
  }

  async #load(entry: OpenDoc): Promise<void> {
    const stored = await this.#storage.load(entry.docId)
    const { doc } = entry
    doc.transact(() => {
      for (const update of stored.updates) Y.applyUpdate(doc, update)
    }, Origins.Storage)
    entry.logSize = stored.updates.length
    entry.lastSeq = stored.head
    doc.on('update', (update: Uint8Array, origin: unknown) => this.#onUpdate(entry, update, origin))
    // Post buckets are read lazily: a timeline opens hundreds and shows a few posts of each.
    entry.reader = new DocReader(
      entry.docId,
      doc,
      this.#verifier,
      this.#drops,
      entry.docId.startsWith('p/'),
      () => this.#demanded(entry),
    )
    // From here on applyRemote applies to the document directly (see there).
    for (const update of entry.early) Y.applyUpdate(doc, update, Origins.Remote)
    entry.early = []
    entry.reader.refresh()
    await entry.reader.verifyPending()
    entry.reader.refresh()
    entry.loaded = true
    if (entry.logSize > this.#compactAfter) this.#compact(entry)
    if (entry.refs > 0) {
      entry.announced = true
      this.#emit('open', entry.docId, doc)
    }
  }

  #onUpdate(entry: OpenDoc, update: Uint8Array, origin: unknown): void {
    if (origin === Origins.Storage) return
    const local = origin === Origins.Local
    const append = this.#storage.append(entry.docId, update, local)
    entry.writes = entry.writes.then(
      () =>
        append.then(
          (seq) => {
            entry.logSize++
            if (seq > entry.lastSeq) entry.lastSeq = seq
            if (local) this.#emit('local', entry.docId, update, seq)
            if (entry.logSize > this.#compactAfter) this.#compact(entry)
          },
          (err: unknown) => {
            this.lastStorageError = err
            throw err
          },
        ),
      () => append,
    )
    entry.writes.catch(() => undefined)
    this.#work.track(entry.writes)
    // Local writes are announced by write() once their signatures are remembered.
    if (!local) this.#changed(entry, false)
  }

  /** Re-reads a document's records, notifies watchers, verifies what is new. */
  #changed(entry: OpenDoc, local: boolean): void {
    const reader = entry.reader
    if (reader === undefined) return
    if (reader.refresh()) this.#notify(entry, local)
    if (reader.pending) this.#verify(entry)
  }

  /**
   * Resolves once every record of an open document is verified (a lazy
   * reader becomes eager), e.g. before planning a write from its records.
   */
  async verified(docId: DocId): Promise<void> {
    const entry = this.#docs.get(docId)
    const reader = entry?.reader
    if (entry === undefined || reader === undefined) return
    if (reader.demandAll() || reader.pending) this.#changed(entry, false)
    while (entry.verifying) await entry.verification.catch(() => undefined)
  }

  /** A query demanded records of a lazy reader: verify them in one pass, after the current computation. */
  #demanded(entry: OpenDoc): void {
    if (entry.demanded) return
    entry.demanded = true
    const run = Promise.resolve().then(() => {
      entry.demanded = false
      if (this.#docs.get(entry.docId) === entry) this.#verify(entry)
    })
    this.#work.track(run).catch(() => undefined)
  }

  /** Verifies what is pending, until nothing is; one pass per document at a time. */
  #verify(entry: OpenDoc): void {
    if (entry.verifying) {
      entry.reverify = true
      return
    }
    entry.verifying = true
    const run = async () => {
      try {
        do {
          entry.reverify = false
          await entry.reader?.verifyPending()
          if (entry.reader?.refresh() === true) this.#notify(entry, false)
        } while (entry.reverify || entry.reader?.pending === true)
      } finally {
        entry.verifying = false
        // Also on failure: queries learn the document is settled (or recompute).
        this.#notify(entry, false)
      }
    }
    entry.verification = this.#work.track(run())
    entry.verification.catch(() => undefined)
  }

  #notify(entry: OpenDoc, local: boolean): void {
    for (const watcher of [...entry.watchers]) watcher(local)
  }

  #compact(entry: OpenDoc): void {
    if (entry.compacting) return
    entry.compacting = true
    const run = async () => {
      const snapshot = Y.encodeStateAsUpdate(entry.doc)
      const through = entry.lastSeq
      await this.#storage.compact(entry.docId, snapshot, through)
      this.compactions++
      entry.logSize = 1
    }
    entry.writes = entry.writes
      .then(run)
      .catch((err: unknown) => {
        this.lastStorageError = err
      })
      .finally(() => {
        entry.compacting = false
      })
    this.#work.track(entry.writes)
  }

  #emit<K extends keyof DocStoreEvents>(event: K, ...args: Parameters<DocStoreEvents[K]>): void {
    for (const listener of [...this.#listeners]) {
      const fn = listener[event] as ((...a: Parameters<DocStoreEvents[K]>) => void) | undefined
      fn?.(...args)
    }
  }
}

function closed(): FeedmeshError {
  return new FeedmeshError(ErrorCodes.Closed, 'the client is closed')
}
