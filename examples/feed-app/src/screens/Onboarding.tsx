/**
 * The first screen in a browser without an identity: create one (name and
 * bio; a new key pair is generated on this device), or import the key
 * exported from another device.
 */
import { Identity, RecordLimits } from '@feedmesh/core'
import { type ReactNode, useState } from 'react'
import type { NewProfile } from '../ClientRoot.js'
import { ErrorText } from '../components/ErrorText.js'
import { messageOf } from '../useAction.js'

/** Props of {@link Onboarding}. */
export interface OnboardingProps {
  /** Called with the new or imported identity (and the profile to set for a new one). */
  onReady: (identity: Identity, newProfile?: NewProfile) => void
}

/** The onboarding screen. */
export function Onboarding({ onReady }: OnboardingProps): ReactNode {
  const [name, setName] = useState('')
  const [bio, setBio] = useState('')
  const [key, setKey] = useState('')
  const [createError, setCreateError] = useState<string | null>(null)
  const [importError, setImportError] = useState<string | null>(null)

  return (
    <main className="onboarding">
      <div className="onboarding-intro">
        <p className="brand big">
          <span className="brand-mark" aria-hidden="true">
            ◈
          </span>{' '}
          feedmesh
        </p>
        <h1>Welcome to feedmesh</h1>
        <p className="lead">
          A feed and chat that lives on your device and syncs through relays. It keeps working
          offline; your identity is a key pair that never leaves this browser unless you export it.
        </p>
      </div>
      <form
        className="card stack"
        aria-labelledby="create-heading"
        onSubmit={(event) => {
          event.preventDefault()
          const trimmed = name.trim()
          if (trimmed === '') {
            setCreateError('Choose a name.')
            return
          }
          onReady(Identity.generate(), { name: trimmed, bio: bio.trim() })
        }}
      >
        <h2 id="create-heading">Create an identity</h2>
        <label htmlFor="onboarding-name">Name</label>
        <input
          id="onboarding-name"
          type="text"
          autoComplete="nickname"
          maxLength={RecordLimits.name}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <label htmlFor="onboarding-bio">Bio</label>
        <textarea
          id="onboarding-bio"
          rows={2}
          maxLength={RecordLimits.bio}
          value={bio}
          onChange={(event) => setBio(event.target.value)}
        />
        <ErrorText error={createError} />
        <button type="submit" className="primary">
          Create identity
        </button>
      </form>
      <form
        className="card stack"
        aria-labelledby="import-heading"
        onSubmit={(event) => {
          event.preventDefault()
          try {
            onReady(Identity.import(key))
          } catch (err) {
            setImportError(messageOf(err))
          }
        }}
      >
        <h2 id="import-heading">Already have one?</h2>
        <p className="meta">Paste the key you exported in Settings on your other device.</p>
        <label htmlFor="onboarding-key">Identity key</label>
        <input
          id="onboarding-key"
          type="text"
          autoComplete="off"
          spellCheck={false}
          value={key}
          onChange={(event) => setKey(event.target.value)}
        />
        <ErrorText error={importError} />
        <button type="submit">Import identity</button>
      </form>
    </main>
  )
}
