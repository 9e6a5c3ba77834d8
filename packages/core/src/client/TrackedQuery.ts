/**
 * The base of every document-backed live query. A query's `compute` reads
 * documents through a {@link DocReads} context; the base records which
 * documents were read, acquires the new ones from the {@link DocStore},
 * releases the ones no longer read, and recomputes whenever one of them
 * changes. So a query's document set follows its data (a newly followed
 * user adds that user's documents to the timeline, an unfollow drops them),
 * and `close()` releases everything.
 *
 * Recomputing is synchronous on a local write, so the write is visible in
 * every open query before it returns. Everything else (documents finishing
 * loading, relay updates, signatures verified) only marks the query stale;
 * it recomputes once for all of them, after the documents its last
 * computation found loading or verifying have all settled (so loading n
 * documents costs a few computations, not n), or after
 * `progressDelayMs` of the store while some are still busy, so slow storage
 * still shows progress. The pending recomputation is tracked
 * by the store, so `settled()` waits for it. `current` keeps its identity
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
  /** Something changed since the last computation. */
  #stale = false
  /** The documents the last computation read: their readers and versions then. */
  #inputs = new Map<DocId, [DocReader | undefined, number]>()
  /** Documents the last computation read that were loading or verifying, until they settle. */
  #waiting = new Set<DocId>()
  /** Resolves the store-tracked promise of the scheduled recomputation. */
  #scheduled: (() => void) | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #computations = 0
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

  /** How many times `compute` ran (for tests and diagnostics). */
  get computations(): number {
    return this.#computations
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
    this.#unschedule()
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

  /** Marks the query stale and schedules one recomputation for everything that happened meanwhile. */
  #invalidate(): void {
    if (this.#closed) return
    this.#stale = true
    if (this.#scheduled === undefined) {
      this.#store.track(
        new Promise<void>((resolve) => {
          this.#scheduled = resolve
        }),
      )
    }
    if (this.#waiting.size === 0) {
      if (this.#timer !== undefined) clearTimeout(this.#timer)
      this.#timer = undefined
      queueMicrotask(() => this.#flush())
    } else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined
        this.#flush()
      }, this.#store.progressDelayMs)
    }
  }

  #flush(): void {
    const done = this.#scheduled
    if (done === undefined) return
    // A microtask while documents are still busy: the timer (or the last of them) flushes.
    if (this.#waiting.size > 0 && this.#timer !== undefined) return
    this.#scheduled = undefined
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    try {
      // Nothing it read changed (e.g. a verification pass that only settled a
      // document): keep the value, only look again whether it is complete.
      if (this.#stale && !this.#running && !this.#closed && !this.#inputsChanged()) {
        this.#stale = false
        this.#publish(this.#current)
      } else if (this.#stale) {
        this.run()
      }
    } finally {
      done()
    }
  }

  /** Cancels the scheduled recomputation and ends its tracking. */
  #unschedule(): void {
    const done = this.#scheduled
    this.#scheduled = undefined
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    done?.()
  }

  /** True when a document read by the last computation was opened, closed or changed since. */
  #inputsChanged(): boolean {
    for (const [docId, [reader, version]] of this.#inputs) {
      const now = this.#store.reader(docId)
      if (now !== reader || (now !== undefined && now.version !== version)) return true
    }
    return false
  }

  #runOnce(): void {
    this.#stale = false
    this.#computations++
    const inputs = new Map<DocId, [DocReader | undefined, number]>()
    const value = this.compute({
      doc: (docId) => {
        if (!this.#held.has(docId)) this.#hold(docId)
        const reader = this.#store.reader(docId)
        if (!inputs.has(docId)) inputs.set(docId, [reader, reader?.version ?? 0])
        return reader
      },
    })
    this.#inputs = inputs
    for (const [docId, unwatch] of [...this.#held]) {
      if (inputs.has(docId)) continue
      unwatch()
      this.#held.delete(docId)
      this.#store.release(docId)
    }
    this.#publish(value)
  }

  /** Shows `value` when it differs; resolves `ready` once every document read is settled. */
  #publish(value: T): void {
    // After computing: what it demanded from lazy readers may be pending now.
    this.#waiting = new Set()
    for (const docId of this.#inputs.keys()) {
      if (!this.#store.isSettled(docId)) this.#waiting.add(docId)
    }
    const complete = this.#waiting.size === 0
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
    const unwatch = this.#store.watch(docId, (local) => {
      if (local) this.run()
      else this.#changed(docId)
    })
    this.#held.set(docId, unwatch)
    // Already loaded (held elsewhere): this computation has read it.
    if (this.#store.reader(docId) !== undefined) return
    const loaded = () => this.#changed(docId)
    loading.then(loaded, loaded)
  }

  /** A document changed, loaded or settled (not by a local write). */
  #changed(docId: DocId): void {
    if (this.#closed) return
    if (this.#store.isSettled(docId)) this.#waiting.delete(docId)
    this.#invalidate()
  }

  #flushWaiters(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const resolve of waiters) resolve()
  }
}
