/** "Find a user (id or link)": opens a profile from a user id or a shared app link. */
import type { ReactNode } from 'react'
import { profileHref, userIdFromInput } from '../routes.js'
import { GoToForm } from './GoToForm.js'

function profileOf(text: string): string | null {
  const userId = userIdFromInput(text)
  return userId === null ? null : profileHref(userId)
}

/** The find-a-user form. */
export function FindUser(): ReactNode {
  return (
    <GoToForm
      label="Find a user (id or link)"
      button="Open"
      hrefOf={profileOf}
      invalid="That is not a user id or a profile link."
    />
  )
}
