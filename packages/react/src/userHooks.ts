/**
 * Hooks for users: a profile with its follow counts, and the followers,
 * following and friends (mutual follows) lists. Each throws
 * `FeedmeshError` `bad-argument` for a malformed user id.
 */
import type { ProfileView, UserId } from '@feedmesh/core'
import type { LiveState } from './liveStates.js'
import { useLiveQuery } from './useLiveQuery.js'

/**
 * A user's profile (name, bio, avatar) and follow counts.
 *
 * @example
 * ```tsx
 * function Name({ uid }: { uid: UserId }) {
 *   const { value } = useProfile(uid)
 *   return <b>{value.name ?? uid.slice(0, 8)}</b>
 * }
 * ```
 */
export function useProfile(uid: UserId): LiveState<ProfileView> {
  return useLiveQuery(`feedmesh:profile:${uid}`, (client) => client.profile(uid))
}

/**
 * The users following `uid`, sorted.
 *
 * @example
 * ```tsx
 * const { value: followers } = useFollowers(uid)
 * return <ul>{followers.map((f) => <li key={f}><Name uid={f} /></li>)}</ul>
 * ```
 */
export function useFollowers(uid: UserId): LiveState<UserId[]> {
  return useLiveQuery(`feedmesh:followers:${uid}`, (client) => client.followers(uid))
}

/**
 * The users `uid` follows, sorted.
 *
 * @example
 * ```tsx
 * const me = useFeedClient().userId
 * const { value: following } = useFollowing(me)
 * const followed = following.includes(other)
 * ```
 */
export function useFollowing(uid: UserId): LiveState<UserId[]> {
  return useLiveQuery(`feedmesh:following:${uid}`, (client) => client.following(uid))
}

/**
 * Mutual follows of `uid` (users it follows that follow it back), sorted.
 *
 * @example
 * ```tsx
 * const { value: friends } = useFriends(uid)
 * return <p>{friends.length} friends</p>
 * ```
 */
export function useFriends(uid: UserId): LiveState<UserId[]> {
  return useLiveQuery(`feedmesh:friends:${uid}`, (client) => client.friends(uid))
}
