/** The own profile's edit form: Name, Bio, Save (and Cancel). */
import { type ProfileView, RecordLimits } from '@feedmesh/core'
import { useFeedActions } from '@feedmesh/react'
import { type ReactNode, useId, useState } from 'react'
import { useAction } from '../useAction.js'
import { ErrorText } from './ErrorText.js'

/** Props of {@link ProfileEditor}. */
export interface ProfileEditorProps {
  /** The profile as it is. */
  profile: ProfileView
  /** Called after saving or cancelling. */
  onDone: () => void
}

/** The form (see the module comment). */
export function ProfileEditor({ profile, onDone }: ProfileEditorProps): ReactNode {
  const { setProfile } = useFeedActions()
  const { busy, error, run } = useAction()
  const [name, setName] = useState(profile.name ?? '')
  const [bio, setBio] = useState(profile.bio ?? '')
  const nameId = useId()
  const bioId = useId()

  return (
    <form
      className="stack"
      onSubmit={(event) => {
        event.preventDefault()
        const trimmed = name.trim()
        if (trimmed === '') return
        const next: { name: string; bio?: string; avatar?: string } = { name: trimmed }
        if (bio.trim() !== '') next.bio = bio.trim()
        if (profile.avatar !== undefined) next.avatar = profile.avatar
        void run(() => setProfile(next)).then((ok) => {
          if (ok) onDone()
        })
      }}
    >
      <label htmlFor={nameId}>Name</label>
      <input
        id={nameId}
        type="text"
        maxLength={RecordLimits.name}
        value={name}
        onChange={(event) => setName(event.target.value)}
      />
      <label htmlFor={bioId}>Bio</label>
      <textarea
        id={bioId}
        rows={2}
        maxLength={RecordLimits.bio}
        value={bio}
        onChange={(event) => setBio(event.target.value)}
      />
      <ErrorText error={error} />
      <div className="row">
        <button type="submit" className="primary" disabled={busy || name.trim() === ''}>
          Save
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  )
}
