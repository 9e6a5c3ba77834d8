/** A speech-bubble icon (decorative) for comment counts. */
import type { ReactNode } from 'react'

/** The icon, sized to the text. */
export function CommentIcon(): ReactNode {
  return (
    <svg className="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path
        d="M4 5h16v11H9l-5 4z"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinejoin="round"
      />
    </svg>
  )
}
