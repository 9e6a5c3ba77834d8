/**
 * The documents a relay holds in memory and who subscribes to them.
 *
 * A document is loaded from the store on first use ({@link DocRegistry.acquire},
 * concurrent first uses share one load) and unloaded by a periodic sweep
 * once it has had no subscriber, no operation in progress and no pending
 * commit for `idleUnloadMs`: memory follows the active set. Subscriptions
 * are kept apart from loaded documents, so subscribing (with a resume
 * point) to a document that did not change does not load it. The
 * registry also keeps the relay's remembered subscription sets
 * ({@link SubscriptionSets}), which every client connection shares.
 *
 * A document loads cold (its encoded state, see `LoadedDoc.ts`): reads
 * never build a Y.Doc. The first write builds its replica (hot), and the
 * same sweep turns a document that stayed write-idle for `idleUnloadMs`
 * (but is still subscribed) cold again, so memory follows the documents
 * being written, not only those being read.
 */
import type { DocId } from '@feedmesh/core'
import { LoadedDoc } from './LoadedDoc.js'
import type { Subscriber } from './Subscriber.js'
import { SubscriptionSets, type SubscriptionSetsOptions } from './SubscriptionSets.js'
import type { RelayStore } from './store/RelayStore.js'

/** Options of a {@link DocRegistry}. */
export interface DocRegistryOptions {
  /** The store documents load from. */
  store: RelayStore
  /** How long an unused document stays loaded, in ms. */
  idleUnloadMs: number
  /** Called whenever the number of loaded documents, or of those hot (with a Y.Doc), changes. */
  onCountChange?: (loaded: number, hot: number) => void
  /** Called whenever a document builds its Y.Doc replica (becomes hot). */
  onMaterialize?: () => void
  /** Bounds of the remembered subscription sets (defaults of {@link SubscriptionSets}). */
  sets?: SubscriptionSetsOptions
}

/** Loaded documents and subscriptions (see the module comment). */
export class DocRegistry {
  /** The subscription sets clients told this relay about. */
  readonly sets: SubscriptionSets
  readonly #store: RelayStore
  readonly #idleUnloadMs: number
  readonly #onCountChange: (loaded: number, hot: number) => void
  readonly #onMaterialize: () => void
  readonly #onForm = (hot: boolean) => {
    this.#hot += hot ? 1 : -1
    if (hot) {
      this.#materialized++
      this.#onMaterialize()
    }
    this.#onCountChange(this.#loaded.size, this.#hot)
  }
  #hot = 0
  #materialized = 0
  readonly #loaded = new Map<DocId, LoadedDoc>()
  readonly #loading = new Map<DocId, Promise<LoadedDoc>>()
  readonly #subscribers = new Map<DocId, Set<Subscriber>>()
  readonly #timer: NodeJS.Timeout

  /** @param options store, idle time, count listener */
  constructor(options: DocRegistryOptions) {
    this.#store = options.store
    this.#idleUnloadMs = options.idleUnloadMs
    this.#onCountChange = options.onCountChange ?? (() => {})
    this.#onMaterialize = options.onMaterialize ?? (() => {})
    this.sets = new SubscriptionSets(options.sets)
    const every = Math.max(50, Math.min(10_000, Math.floor(this.#idleUnloadMs / 2)))
    this.#timer = setInterval(() => this.sweep(), every)
    this.#timer.unref()
  }

  /** Number of documents loaded in memory. */
  get loadedCount(): number {
    return this.#loaded.size
  }

  /** Number of loaded documents that are hot (hold a Y.Doc replica). */
  get hotCount(): number {
    return this.#hot
  }

  /** How many times a document's Y.Doc replica was built (a cold document became hot) since the start. */
  get materializedCount(): number {
    return this.#materialized
  }

  /** The loaded document, if it is loaded (no load, no pin). */
  peek(docId: DocId): LoadedDoc | undefined {
    return this.#loaded.get(docId)
  }

  /**
   * Loads the document if needed and pins it in memory until
   * {@link DocRegistry.release}. Rejects with the store's error when it
   * cannot be loaded.
   */
  async acquire(docId: DocId): Promise<LoadedDoc> {
    const loaded = this.#loaded.get(docId)
    const doc = loaded ?? (await this.#load(docId))
    doc.pins++
    doc.lastUsed = performance.now()
    return doc
  }

  /** Unpins a document acquired before. */
  release(doc: LoadedDoc): void {
    doc.pins--
    doc.lastUsed = performance.now()
  }

  /** Runs `fn` with the document acquired, and releases it after. */
  async using<T>(docId: DocId, fn: (doc: LoadedDoc) => Promise<T> | T): Promise<T> {
    const doc = await this.acquire(docId)
    try {
      return await fn(doc)
    } finally {
      this.release(doc)
    }
  }

  /** Rebuilds a loaded document's replica from the store (after a failed commit left it ahead). */
  async reload(doc: LoadedDoc): Promise<void> {
    const log = await this.#store.load(doc.docId)
    doc.reset(log.updates, log.seq)
  }

  #load(docId: DocId): Promise<LoadedDoc> {
    let loading = this.#loading.get(docId)
    if (loading === undefined) {
      loading = this.#store
        .load(docId)
        .then((log) => {
          const doc = new LoadedDoc(docId, log.updates, log.seq, this.#onForm)
          this.#loaded.set(docId, doc)
          this.#onCountChange(this.#loaded.size, this.#hot)
          return doc
        })
        .finally(() => this.#loading.delete(docId))
      this.#loading.set(docId, loading)
    }
    return loading
  }

  /** Adds a subscriber of a document (loaded or not). */
  subscribe(docId: DocId, subscriber: Subscriber): void {
    let set = this.#subscribers.get(docId)
    if (set === undefined) {
      set = new Set()
      this.#subscribers.set(docId, set)
    }
    set.add(subscriber)
  }

  /** Removes a subscriber of a document. */
  unsubscribe(docId: DocId, subscriber: Subscriber): void {
    const set = this.#subscribers.get(docId)
    if (set === undefined) return
    set.delete(subscriber)
    if (set.size === 0) this.#subscribers.delete(docId)
  }

  /** The subscribers of a document (empty when none). */
  subscribersOf(docId: DocId): ReadonlySet<Subscriber> {
    return this.#subscribers.get(docId) ?? emptySet
  }

  /**
   * Unloads every document idle for longer than the idle time and without
   * subscribers, turns cold every other idle document not written for that
   * long, and forgets subscription sets past their own idle time.
   */
  sweep(now = performance.now()): void {
    let changed = false
    for (const [docId, doc] of this.#loaded) {
      if (!doc.idle) continue
      if (this.#subscribers.has(docId) || now - doc.lastUsed < this.#idleUnloadMs) {
        if (doc.hot && now - doc.lastWrite >= this.#idleUnloadMs) doc.cool()
        continue
      }
      this.#loaded.delete(docId)
      doc.destroy()
      changed = true
    }
    if (changed) this.#onCountChange(this.#loaded.size, this.#hot)
    this.sets.sweep(now)
  }

  /** Resolves once every write applied so far in any loaded document has settled. */
  async settled(): Promise<void> {
    for (;;) {
      const pending = [...this.#loaded.values()].filter((doc) => doc.pendingWrites > 0)
      if (pending.length === 0) return
      await Promise.all(pending.map((doc) => doc.committed()))
    }
  }

  /** Stops the sweep and releases every document. */
  close(): void {
    clearInterval(this.#timer)
    for (const doc of this.#loaded.values()) doc.destroy()
    this.#loaded.clear()
    this.#subscribers.clear()
    this.#onCountChange(0, 0)
  }
}

const emptySet: ReadonlySet<Subscriber> = new Set()
