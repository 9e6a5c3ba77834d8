/**
 * The app's hash routes: `#/feed`, `#/post/<author>/<postId>`,
 * `#/u/<userId>`, `#/chat/<room>`, `#/settings`. Parsing validates ids, so
 * screens only ever see well-formed ones.
 */
import { isUserId, type UserId } from '@feedmesh/core'

/** Names of the routes. */
export const RouteNames = {
  Feed: 'feed',
  Thread: 'thread',
  Profile: 'profile',
  Chat: 'chat',
  Settings: 'settings',
  NotFound: 'not-found',
} as const

/** One of {@link RouteNames}. */
export type RouteName = (typeof RouteNames)[keyof typeof RouteNames]

/** A parsed route. */
export type Route =
  | { name: typeof RouteNames.Feed }
  | { name: typeof RouteNames.Thread; author: UserId; postId: string }
  | { name: typeof RouteNames.Profile; userId: UserId }
  | { name: typeof RouteNames.Chat; room: string }
  | { name: typeof RouteNames.Settings }
  | { name: typeof RouteNames.NotFound }

/** The room the Chat link opens. */
export const DEFAULT_ROOM = 'lobby'

/** A room name: lowercase letters, digits and dashes, at most 64 characters. */
export const roomPattern = /^[a-z0-9-]{1,64}$/

const postIdPattern = /^[A-Za-z0-9_-]{1,64}$/

/** Parses a location hash (`#/...`); anything unknown is `not-found`, empty is the feed. */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '')
  const parts = path.split('/').map((part) => {
    try {
      return decodeURIComponent(part)
    } catch {
      return ''
    }
  })
  const [head, a, b] = parts
  if (path === '' || (head === 'feed' && parts.length === 1)) return { name: RouteNames.Feed }
  if (head === 'settings' && parts.length === 1) return { name: RouteNames.Settings }
  if (head === 'u' && parts.length === 2 && isUserId(a)) {
    return { name: RouteNames.Profile, userId: a }
  }
  if (head === 'post' && parts.length === 3 && isUserId(a) && b !== undefined) {
    if (postIdPattern.test(b)) return { name: RouteNames.Thread, author: a, postId: b }
  }
  if (head === 'chat' && parts.length === 2 && a !== undefined && roomPattern.test(a)) {
    return { name: RouteNames.Chat, room: a }
  }
  return { name: RouteNames.NotFound }
}

/** The feed's hash. */
export const feedHref = '#/feed'

/** The settings hash. */
export const settingsHref = '#/settings'

/** The hash of a user's profile. */
export function profileHref(userId: UserId): string {
  return `#/u/${userId}`
}

/** The hash of a post's thread. */
export function threadHref(ref: { author: UserId; postId: string }): string {
  return `#/post/${ref.author}/${ref.postId}`
}

/** The hash of a chat room. */
export function chatHref(room: string): string {
  return `#/chat/${room}`
}

/** A full app URL that opens a user's profile (for sharing). */
export function profileLink(userId: UserId): string {
  return `${location.origin}${location.pathname}${profileHref(userId)}`
}

/**
 * The user id in what someone typed or pasted: a bare user id, or any
 * text (an app URL) containing `#/u/<id>`; `null` when there is none.
 */
export function userIdFromInput(input: string): UserId | null {
  const text = input.trim()
  if (isUserId(text)) return text
  const match = /#\/u\/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/.exec(text)
  const id = match?.[1]
  return isUserId(id) ? id : null
}

/** Goes to a hash route. */
export function navigate(hash: string): void {
  if (location.hash !== hash) location.hash = hash
}
