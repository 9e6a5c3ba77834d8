/** "Find a user (id or link)": opens a profile from a user id or a shared app link. */
import { type ReactNode, useId, useState } from 'react'
import { navigate, profileHref, userIdFromInput } from '../routes.js'
import { ErrorText } from './ErrorText.js'

/** The find-a-user form. */
export function FindUser(): ReactNode {
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const id = useId()
  return (
    <form
      className="find-user row"
      onSubmit={(event) => {
        event.preventDefault()
        const userId = userIdFromInput(text)
        if (userId === null) {
          setError('That is not a user id or a profile link.')
          return
        }
        setError(null)
        setText('')
        navigate(profileHref(userId))
      }}
    >
      <label htmlFor={id}>Find a user (id or link)</label>
      <div className="row grow">
        <input
          id={id}
          type="text"
          autoComplete="off"
          spellCheck={false}
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit">Open</button>
      </div>
      <ErrorText error={error} />
    </form>
  )
}
