/**
 * The live queries the hooks of one {@link FeedClient} share, by argument
 * key: every component that asks for the same thing (the same user's
 * profile, the same thread) uses one query, created on first use and closed
 * once no component is subscribed (see {@link QueryEntry} for the life
 * cycle). There is one cache per client, whatever the number of providers.
 */
import type { FeedClient, LiveQuery } from '@feedmesh/core'
import { type EntryHooks, QueryEntry } from './QueryEntry.js'

/** How long an entry created by a render that never committed stays open. */
const defaultAbandonMs = 5_000

const caches = new WeakMap<FeedClient, QueryCache>()

type AnyEntry = QueryEntry<unknown, LiveQuery<unknown>>

/** The shared live queries of one client, by argument key. */
export class QueryCache {
  /** The client whose queries these are. */
  readonly client: FeedClient
  readonly #entries = new Map<string, AnyEntry>()
  readonly #hooks: EntryHooks
  readonly #abandonMs: number

  /**
   * @param client the client the queries come from
   * @param abandonMs how long a query created by a render that never committed stays open
   */
  constructor(client: FeedClient, abandonMs = defaultAbandonMs) {
    this.client = client
    this.#abandonMs = abandonMs
    this.#hooks = {
      closed: (entry) => {
        if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key)
      },
      reopened: (entry) => {
        if (!this.#entries.has(entry.key)) this.#entries.set(entry.key, entry)
      },
    }
  }

  /** The cache of `client` (created on first use). */
  static of(client: FeedClient): QueryCache {
    let cache = caches.get(client)
    if (cache === undefined) {
      cache = new QueryCache(client)
      caches.set(client, cache)
    }
    return cache
  }

  /**
   * The entry for `key`, creating it with `create` when there is none. A key
   * must always name the same kind of query (the hooks prefix it with the
   * query's name).
   */
  entry<T, Q extends LiveQuery<T>>(
    key: string,
    create: (client: FeedClient) => Q,
  ): QueryEntry<T, Q> {
    const found = this.#entries.get(key)
    if (found !== undefined) return found as unknown as QueryEntry<T, Q>
    const entry = new QueryEntry<T, Q>(key, () => create(this.client), this.#hooks, this.#abandonMs)
    this.#entries.set(key, entry as unknown as AnyEntry)
    return entry
  }

  /** Keys of the open entries (for tests and diagnostics). */
  keys(): string[] {
    return [...this.#entries.keys()]
  }

  /** Closes every query of the cache (subscribed components then see their last value). */
  clear(): void {
    for (const entry of [...this.#entries.values()]) entry.close()
    this.#entries.clear()
  }
}
