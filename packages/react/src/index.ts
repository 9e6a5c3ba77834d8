/**
 * @feedmesh/react: a provider for the feedmesh client and hooks for its
 * live queries (timeline, posts, thread, profile, followers, following,
 * friends, room, presence, sync status) and its writes. Suspense-free: each
 * hook returns the current value with a `loading` flag; values come through
 * `useSyncExternalStore`, so renders never tear.
 */

export { FeedProvider, type FeedProviderProps } from './FeedProvider.js'
export {
  type FeedActionName,
  FeedActionNames,
  type FeedActions,
  feedActions,
  useFeedActions,
} from './feedActions.js'
export { FeedContext } from './feedContext.js'
export type { LivePresence, LiveState, PagedLiveState } from './liveStates.js'
export { type PostsOptions, usePosts, useThread, useTimeline } from './postHooks.js'
export { QueryCache } from './QueryCache.js'
export type { EntryState, QueryEntry } from './QueryEntry.js'
export { usePresence, useRoom } from './roomHooks.js'
export { useFeedClient } from './useFeedClient.js'
export { useLiveQuery } from './useLiveQuery.js'
export { useFollowers, useFollowing, useFriends, useProfile } from './userHooks.js'
export { useSyncStatus } from './useSyncStatus.js'
