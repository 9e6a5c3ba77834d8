/**
 * A one-line form that opens a route from what the user typed: "Find a
 * user (id or link)" on the feed, "Room" on the chat screen. Text that
 * leads nowhere shows `invalid` instead.
 */
import { type ReactNode, useId, useState } from 'react'
import { navigate } from '../routes.js'
import { ErrorText } from './ErrorText.js'

/** Props of {@link GoToForm}. */
export interface GoToFormProps {
  /** The input's label. */
  label: string
  /** The submit button's text. */
  button: string
  /** The input's placeholder. */
  placeholder?: string
  /** The route (`#/...`) the text leads to, or null when it leads nowhere. */
  hrefOf: (text: string) => string | null
  /** The error shown when {@link GoToFormProps.hrefOf} gives null. */
  invalid: string
}

/** The form (see the module comment). */
export function GoToForm({
  label,
  button,
  placeholder,
  hrefOf,
  invalid,
}: GoToFormProps): ReactNode {
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const id = useId()
  return (
    <form
      className="go-to row"
      onSubmit={(event) => {
        event.preventDefault()
        const href = hrefOf(text)
        if (href === null) {
          setError(invalid)
          return
        }
        setError(null)
        setText('')
        navigate(href)
      }}
    >
      <label htmlFor={id}>{label}</label>
      <div className="row grow">
        <input
          id={id}
          type="text"
          autoComplete="off"
          spellCheck={false}
          placeholder={placeholder}
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit">{button}</button>
      </div>
      <ErrorText error={error} />
    </form>
  )
}
