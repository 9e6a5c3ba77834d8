/** A list of users as links with their names (followers, following). */
import type { UserId } from '@feedmesh/core'
import type { ReactNode } from 'react'
import { UserLink } from './UserName.js'

/** Props of {@link UserList}. */
export interface UserListProps {
  /** The users. */
  users: readonly UserId[]
  /** The list's accessible name. */
  label: string
  /** What to say when there is nobody. */
  empty: string
}

/** The list, or the empty text. */
export function UserList({ users, label, empty }: UserListProps): ReactNode {
  if (users.length === 0) return <p className="empty">{empty}</p>
  return (
    <ul aria-label={label} className="user-list">
      {users.map((userId) => (
        <li key={userId}>
          <UserLink userId={userId} avatar />
        </li>
      ))}
    </ul>
  )
}
