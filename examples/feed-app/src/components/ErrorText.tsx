/** An action's error message, announced to assistive technology; nothing when there is none. */
import type { ReactNode } from 'react'

/** Props of {@link ErrorText}. */
export interface ErrorTextProps {
  /** The message, or `null`. */
  error: string | null
}

/** The message as an alert. */
export function ErrorText({ error }: ErrorTextProps): ReactNode {
  if (error === null) return null
  return (
    <p className="error" role="alert">
      {error}
    </p>
  )
}
