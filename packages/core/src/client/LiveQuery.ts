/**
 * The live query contract: a current value that updates as documents
 * change, with listeners, a promise for the first complete value, and
 * `close()` that releases what the query holds.
 */

/** A value that follows the documents it is computed from. */
export interface LiveQuery<T> {
  /** The latest snapshot; the same object until it changes (for `useSyncExternalStore`). */
  readonly current: T
  /** Resolves once the query's documents are loaded from storage and verified. */
  readonly ready: Promise<T>
  /** Calls `listener` with every new value; returns the unsubscribe function. */
  subscribe(listener: (value: T) => void): () => void
  /** Stops the query and releases its documents. */
  close(): void
}

/** A live query over a list that pages backwards in time. */
export interface PagedLiveQuery<T> extends LiveQuery<T> {
  /** Extends the list by one page; resolves when the new page is loaded. */
  loadMore(): Promise<void>
}
