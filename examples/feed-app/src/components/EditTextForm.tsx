/**
 * The in-place editor of a post or comment: a labelled textarea with Save
 * (disabled while empty or busy) and Cancel. The caller owns the draft.
 */
import { type ReactNode, useId } from 'react'

/** Props of {@link EditTextForm}. */
export interface EditTextFormProps {
  /** The textarea's accessible label ("Edit post", "Edit comment"). */
  label: string
  /** The current draft. */
  draft: string
  /** Called on every keystroke. */
  onDraft: (text: string) => void
  /** Called with the trimmed, non-empty draft on Save. */
  onSave: (text: string) => void
  /** Called on Cancel. */
  onCancel: () => void
  /** True while the save runs. */
  busy: boolean
  /** The longest text the record allows. */
  maxLength: number
  /** Visible rows. */
  rows: number
}

/** The editor (see the module comment). */
export function EditTextForm({
  label,
  draft,
  onDraft,
  onSave,
  onCancel,
  busy,
  maxLength,
  rows,
}: EditTextFormProps): ReactNode {
  const id = useId()
  return (
    <form
      className="stack"
      onSubmit={(event) => {
        event.preventDefault()
        const text = draft.trim()
        if (text !== '') onSave(text)
      }}
    >
      <label className="visually-hidden" htmlFor={id}>
        {label}
      </label>
      <textarea
        id={id}
        rows={rows}
        maxLength={maxLength}
        value={draft}
        onChange={(event) => onDraft(event.target.value)}
      />
      <div className="row">
        <button type="submit" className="primary" disabled={busy || draft.trim() === ''}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
