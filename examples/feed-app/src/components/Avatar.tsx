/** A user's avatar: the initials of the name on a colour derived from the user id. */
import type { UserId } from '@feedmesh/core'
import type { CSSProperties, ReactNode } from 'react'

/** Up to two initials of a name (`?` for none). */
export function initialsOf(name: string | undefined): string {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean)
  const letters = words.slice(0, 2).map((w) => [...w][0]?.toUpperCase() ?? '')
  return letters.join('') || '?'
}

/** A hue (0-359) derived from a user id. */
export function hueOf(userId: UserId): number {
  let hash = 0
  for (let i = 0; i < userId.length; i++) hash = (hash * 31 + userId.charCodeAt(i)) >>> 0
  return hash % 360
}

/** Props of {@link Avatar}. */
export interface AvatarProps {
  /** The user. */
  userId: UserId
  /** The user's name, when known. */
  name: string | undefined
  /** Larger, for profile headers. */
  large?: boolean
}

/** The avatar (decorative: the name is always shown next to it). */
export function Avatar({ userId, name, large }: AvatarProps): ReactNode {
  return (
    <span
      className={large === true ? 'avatar avatar-large' : 'avatar'}
      style={{ '--avatar-hue': hueOf(userId) } as CSSProperties}
      aria-hidden="true"
    >
      {initialsOf(name)}
    </span>
  )
}
