/**
 * The hook every query hook is made of: looks up (or creates) the shared
 * query for an argument key in the client's {@link QueryCache} and follows
 * it with `useSyncExternalStore`, so a render never mixes two versions of a
 * value (no tearing) and re-renders only when the value or a loading flag
 * changes.
 */
import type { FeedClient, LiveQuery } from '@feedmesh/core'
import { useCallback, useSyncExternalStore } from 'react'
import type { LiveState } from './liveStates.js'
import { QueryCache } from './QueryCache.js'
import type { EntryState, QueryEntry } from './QueryEntry.js'
import { useFeedClient } from './useFeedClient.js'

/**
 * The entry for `key` and its current snapshot (for hooks that need the
 * query itself, e.g. to page or to set presence).
 */
export function useQueryEntry<T, Q extends LiveQuery<T>>(
  key: string,
  create: (client: FeedClient) => Q,
): [QueryEntry<T, Q>, EntryState<T>] {
  const client = useFeedClient()
  const entry = QueryCache.of(client).entry<T, Q>(key, create)
  const subscribe = useCallback((onChange: () => void) => entry.subscribe(onChange), [entry])
  const getSnapshot = useCallback(() => entry.state, [entry])
  const state = useSyncExternalStore(subscribe, getSnapshot, getSnapshot)
  return [entry, state]
}

/**
 * Follows any live query of the client, shared by `key`: every component
 * rendering the same key uses one query, created on first use and closed
 * once none of them is mounted. `key` must identify the arguments by value
 * (and start with a name of its own, so it never collides with the
 * built-in hooks' keys, which start with `feedmesh:`); `create` runs only
 * when no query exists for the key. The query must keep `current`'s
 * identity while it is unchanged, as the client's queries do.
 *
 * @example
 * ```tsx
 * // the first page of ten of a user's posts, shared by key
 * function Latest({ uid }: { uid: UserId }) {
 *   const { value } = useLiveQuery(`app:latest:${uid}`, (c) => c.posts(uid, { pageSize: 10 }))
 *   return <PostList posts={value.posts} />
 * }
 * ```
 */
export function useLiveQuery<T>(
  key: string,
  create: (client: FeedClient) => LiveQuery<T>,
): LiveState<T> {
  return useQueryEntry<T, LiveQuery<T>>(key, create)[1]
}
