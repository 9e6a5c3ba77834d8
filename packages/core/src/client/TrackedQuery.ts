/**
 * The base of every document-backed live query. A query's `compute` reads
 * documents through a {@link DocReads} context; the base records which
 * documents were read, acquires the new ones from the {@link DocStore},
 * releases the ones no longer read, and recomputes whenever one of them
 * changes. So a query's document set follows its data (a newly followed
 * user adds that user's documents to the timeline, an unfollow drops them),
 * and `close()` releases everything.
 *
 * Recomputing is synchronous on a change, so a local write is visible in
 * every open query before the write returns. `current` keeps its identity
 * while the computed value is structurally equal.
 */
import type { DocId } from '../docIds.js'
import type { DocReader } from './DocReader.js'
import type { DocStore } from './DocStore.js'
import { deepEqual } from './equal.js'
import type { LiveQuery } from './LiveQuery.js'

/** How a query's `compute` reads documents. */
export interface DocReads {
  /** The document's reader, or `undefined` while it loads (the query recomputes then). */
  doc(docId: DocId): DocReader | undefined
}

/** A live query computed from documents. */
export abstract class TrackedQuery<T> implements LiveQuery<T> {
  readonly #store: DocStore
  readonly #held = new Map<DocId, () => void>()
  readonly #listeners = new Set<(value: T) => void>()
  readonly #closeListeners = new Set<() => void>()
  #current: T
  #closed = false
  #running = false
  #again = false
  #waiters: (() => void)[] = []
  #complete = false
  #readyResolve!: (value: T) => void
  /** Resolves once the query's documents are loaded and verified. */
  readonly ready: Promise<T>

  /**
   * @param store the client's documents
   * @param initial the value shown until documents are loaded
   */
  constructor(store: DocStore, initial: T) {
    this.#store = store
    this.#current = initial
    this.ready = new Promise((resolve) => {
      this.#readyResolve = resolve
    })
  }

  /** Computes the value from the documents read through `reads`. */
  protected abstract compute(reads: DocReads): T

  /** The latest value. */
  get current(): T {
    return this.#current
  }

  /** Number of documents this query holds (for tests and diagnostics). */
  get heldDocs(): number {
    return this.#held.size
  }

  /** {@inheritDoc LiveQuery.subscribe} */
  subscribe(listener: (value: T) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** {@inheritDoc LiveQuery.close} */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const [docId, unwatch] of this.#held) {
      unwatch()
      this.#store.release(docId)
    }
    this.#held.clear()
    this.#listeners.clear()
    this.#flushWaiters()
    for (const listener of [...this.#closeListeners]) listener()
    this.#closeListeners.clear()
  }

  /** True once {@link TrackedQuery.close} was called. */
  get closed(): boolean {
    return this.#closed
  }

  /** Calls `listener` once when the query closes. */
  onClose(listener: () => void): void {
    if (this.#closed) listener()
    else this.#closeListeners.add(listener)
  }

  /** Starts the query (call at the end of the subclass constructor). */
  protected start(): void {
    this.run()
  }

  /** Resolves once a computation read only loaded, verified documents. */
  protected settled(): Promise<void> {
    if (this.#complete || this.#closed) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Recomputes now (subclasses call it when their own parameters change). */
  protected run(): void {
    if (this.#closed) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = true
    try {
      do {
        this.#again = false
        this.#runOnce()
      } while (this.#again && !this.#closed)
    } finally {
      this.#running = false
    }
  }

  #runOnce(): void {
    const read = new Set<DocId>()
    let complete = true
    const value = this.compute({
      doc: (docId) => {
        read.add(docId)
        if (!this.#held.has(docId)) this.#hold(docId)
        if (!this.#store.isSettled(docId)) complete = false
        return this.#store.reader(docId)
      },
    })
    for (const [docId, unwatch] of [...this.#held]) {
      if (read.has(docId)) continue
      unwatch()
      this.#held.delete(docId)
      this.#store.release(docId)
    }
    this.#complete = complete
    if (!deepEqual(value, this.#current)) {
      this.#current = value
      for (const listener of [...this.#listeners]) listener(value)
    }
    if (complete) {
      this.#readyResolve(this.#current)
      this.#flushWaiters()
    }
  }

  #hold(docId: DocId): void {
    const loading = this.#store.acquire(docId)
    const unwatch = this.#store.watch(docId, () => this.run())
    this.#held.set(docId, unwatch)
    loading.then(
      () => this.run(),
      () => undefined,
    )
  }

  #flushWaiters(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const resolve of waiters) resolve()
  }
}
