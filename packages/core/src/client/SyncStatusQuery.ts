/** The sync status as a live query, following a {@link SyncEngine}. */
import type { LiveQuery } from './LiveQuery.js'
import type { SyncEngine } from './SyncEngine.js'
import type { SyncStatus } from './views.js'

/** A live view of the client's synchronisation state. */
export class SyncStatusQuery implements LiveQuery<SyncStatus> {
  readonly #engine: SyncEngine
  readonly #listeners = new Set<(value: SyncStatus) => void>()
  readonly #unlisten: () => void
  readonly #closeListeners = new Set<() => void>()
  #closed = false
  /** Resolves at once: the status needs no documents. */
  readonly ready: Promise<SyncStatus>

  /** @param engine the client's sync engine */
  constructor(engine: SyncEngine) {
    this.#engine = engine
    this.#unlisten = engine.onStatus((status) => {
      for (const listener of [...this.#listeners]) listener(status)
    })
    this.ready = Promise.resolve(engine.status)
  }

  /** The latest status. */
  get current(): SyncStatus {
    return this.#engine.status
  }

  /** {@inheritDoc LiveQuery.subscribe} */
  subscribe(listener: (value: SyncStatus) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** {@inheritDoc LiveQuery.close} */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#unlisten()
    this.#listeners.clear()
    for (const listener of [...this.#closeListeners]) listener()
    this.#closeListeners.clear()
  }

  /** True once {@link SyncStatusQuery.close} was called. */
  get closed(): boolean {
    return this.#closed
  }

  /** Calls `listener` once when the query closes (at once if it is closed already). */
  onClose(listener: () => void): void {
    if (this.#closed) listener()
    else this.#closeListeners.add(listener)
  }
}
