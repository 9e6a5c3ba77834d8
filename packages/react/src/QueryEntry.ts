/**
 * One shared live query of a {@link QueryCache}: the client's query for one
 * argument set, the React-facing snapshot of it, and the reference count of
 * the components subscribed to it.
 *
 * Life cycle (what keeps queries from leaking under StrictMode and
 * concurrent rendering):
 * - a render looks the entry up (creating it, and so the query, on first
 *   use); an entry that no component subscribes to within `abandonMs` (a
 *   render React threw away) is closed;
 * - `useSyncExternalStore` subscribes on commit (refs + 1) and unsubscribes
 *   on unmount or argument change (refs - 1); at 0 the query is closed in a
 *   microtask, so StrictMode's synchronous unmount/remount and a remount in
 *   the same commit keep it;
 * - a subscription to an entry that was closed meanwhile reopens it with a
 *   new query (and React re-reads the snapshot).
 *
 * The snapshot ({@link EntryState}) keeps its identity until the query's
 * value (which itself keeps its identity while unchanged) or the loading
 * flags change, so `useSyncExternalStore` never tears and re-renders only on
 * real changes.
 */
import type { LiveQuery, PagedLiveQuery } from '@feedmesh/core'

/** What an entry shows: the query's value and its loading flags. */
export interface EntryState<T> {
  /** The query's current value (partial while `loading`). */
  readonly value: T
  /** True until the query's documents are loaded from storage and verified (`ready`). */
  readonly loading: boolean
  /** True while a `loadMore` of a paged query is in flight. */
  readonly loadingMore: boolean
  /** Why `ready` failed, if it did (`loading` is then false). */
  readonly error?: unknown
}

/** What an entry tells its cache. */
export interface EntryHooks {
  /** The entry closed its query (the cache forgets it). */
  closed(entry: QueryEntry<unknown, LiveQuery<unknown>>): void
  /** A closed entry was subscribed to and opened a new query (the cache takes it back). */
  reopened(entry: QueryEntry<unknown, LiveQuery<unknown>>): void
}

/** One live query shared by the components that use the same arguments. */
export class QueryEntry<T, Q extends LiveQuery<T> = LiveQuery<T>> {
  /** The argument key this entry is cached under. */
  readonly key: string
  readonly #create: () => Q
  readonly #hooks: EntryHooks
  readonly #listeners = new Set<() => void>()
  #query: Q
  #state: EntryState<T>
  #unwatch: () => void
  #generation = 0
  #refs = 0
  #pagesLoading = 0
  #closed = false
  #timer: ReturnType<typeof setTimeout> | undefined

  /**
   * Creates the query at once (a throw, e.g. for a malformed argument,
   * propagates and leaves nothing open).
   *
   * @param key the argument key
   * @param create makes the client's query
   * @param hooks tells the cache about closing and reopening
   * @param abandonMs how long a never-subscribed entry stays open
   */
  constructor(key: string, create: () => Q, hooks: EntryHooks, abandonMs: number) {
    this.key = key
    this.#create = create
    this.#hooks = hooks
    const query = create()
    this.#query = query
    this.#state = { value: query.current, loading: true, loadingMore: false }
    this.#unwatch = this.#watch(query)
    this.#timer = setTimeout(() => this.#releaseIfIdle(), abandonMs)
  }

  /** The query in use (a new one after a reopen). */
  get query(): Q {
    return this.#query
  }

  /** The current snapshot (same object until something changes). */
  get state(): EntryState<T> {
    return this.#state
  }

  /** True once the query was closed (and not reopened). */
  get closed(): boolean {
    return this.#closed
  }

  /** Subscribed components. */
  get refs(): number {
    return this.#refs
  }

  /**
   * Subscribes a component (for `useSyncExternalStore`): keeps the query
   * open until the returned function is called; reopens a closed entry.
   */
  subscribe(listener: () => void): () => void {
    this.#cancelTimer()
    if (this.#closed) this.#reopen()
    this.#refs++
    this.#listeners.add(listener)
    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      this.#listeners.delete(listener)
      this.#refs--
      if (this.#refs === 0) queueMicrotask(() => this.#releaseIfIdle())
    }
  }

  /**
   * Loads one more page of a paged query; `loadingMore` is true meanwhile.
   * Rejects when the query is not paged.
   */
  async loadMore(): Promise<void> {
    const query = this.#query as Q & Partial<PagedLiveQuery<T>>
    if (typeof query.loadMore !== 'function') throw new TypeError(`${this.key} is not paged`)
    const generation = this.#generation
    this.#pagesLoading++
    this.#patch({ loadingMore: true })
    try {
      await query.loadMore()
    } finally {
      if (generation === this.#generation) {
        this.#pagesLoading--
        if (this.#pagesLoading === 0) this.#patch({ loadingMore: false })
      }
    }
  }

  /** Closes the query now, whoever is subscribed (the cache's `clear`). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#cancelTimer()
    this.#generation++
    this.#pagesLoading = 0
    this.#unwatch()
    this.#query.close()
    this.#hooks.closed(this as QueryEntry<unknown, LiveQuery<unknown>>)
  }

  #watch(query: Q): () => void {
    const generation = this.#generation
    const unsubscribe = query.subscribe((value) => {
      if (generation === this.#generation) this.#patch({ value })
    })
    query.ready.then(
      () => {
        if (generation === this.#generation) this.#patch({ value: query.current, loading: false })
      },
      (error: unknown) => {
        if (generation === this.#generation) this.#patch({ loading: false, error })
      },
    )
    return unsubscribe
  }

  #reopen(): void {
    const query = this.#create()
    this.#closed = false
    this.#query = query
    this.#state = { value: query.current, loading: true, loadingMore: false }
    this.#unwatch = this.#watch(query)
    this.#hooks.reopened(this as QueryEntry<unknown, LiveQuery<unknown>>)
  }

  #patch(patch: Partial<EntryState<T>>): void {
    const state = this.#state
    let changed = false
    for (const k of Object.keys(patch) as (keyof EntryState<T>)[]) {
      if (!Object.is(patch[k], state[k])) changed = true
    }
    if (!changed) return
    this.#state = { ...state, ...patch }
    for (const listener of [...this.#listeners]) listener()
  }

  #releaseIfIdle(): void {
    this.#timer = undefined
    if (this.#refs === 0) this.close()
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
