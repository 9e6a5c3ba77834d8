/** Users by name: the name from their profile, or a short form of the id until it arrives. */
import type { UserId } from '@feedmesh/core'
import { useProfile } from '@feedmesh/react'
import type { ReactNode } from 'react'
import { profileHref } from '../routes.js'
import { Avatar } from './Avatar.js'

/** What to call a user whose profile has no name (yet). */
export function fallbackName(userId: UserId): string {
  return `user ${userId.slice(0, 6)}`
}

/** A user's display name. */
export function useUserName(userId: UserId): string {
  return useProfile(userId).value.name ?? fallbackName(userId)
}

/** Props of {@link UserLink}. */
export interface UserLinkProps {
  /** The user. */
  userId: UserId
  /** Show the avatar before the name. */
  avatar?: boolean
}

/** A link to a user's profile, named after the user. */
export function UserLink({ userId, avatar }: UserLinkProps): ReactNode {
  const { value } = useProfile(userId)
  const name = value.name ?? fallbackName(userId)
  return (
    <>
      {avatar === true && <Avatar userId={userId} name={value.name} />}
      <a className="user-link" href={profileHref(userId)}>
        {name}
      </a>
    </>
  )
}
