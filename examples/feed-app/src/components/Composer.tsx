/** The form that posts: "What's happening?" and "Post" (disabled while empty). Ctrl/⌘+Enter posts too. */
import { RecordLimits } from '@feedmesh/core'
import { useFeedActions } from '@feedmesh/react'
import { type ReactNode, useId, useState } from 'react'
import { useAction } from '../useAction.js'
import { ErrorText } from './ErrorText.js'

/** The post composer. */
export function Composer(): ReactNode {
  const { post } = useFeedActions()
  const { busy, error, run } = useAction()
  const [text, setText] = useState('')
  const id = useId()
  const empty = text.trim() === ''

  const submit = async () => {
    if (empty || busy) return
    if (await run(() => post(text.trim()))) setText('')
  }

  return (
    <form
      className="card composer"
      onSubmit={(event) => {
        event.preventDefault()
        void submit()
      }}
    >
      <label htmlFor={id} className="visually-hidden">
        What's happening?
      </label>
      <textarea
        id={id}
        placeholder="What's happening?"
        value={text}
        maxLength={RecordLimits.postText}
        rows={3}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault()
            void submit()
          }
        }}
      />
      <div className="row end">
        <span className="meta" aria-hidden="true">
          {text.length > RecordLimits.postText - 200
            ? `${RecordLimits.postText - text.length} left`
            : ''}
        </span>
        <button type="submit" className="primary" disabled={empty || busy}>
          Post
        </button>
      </div>
      <ErrorText error={error} />
    </form>
  )
}
