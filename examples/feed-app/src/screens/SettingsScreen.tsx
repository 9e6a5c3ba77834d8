/**
 * Settings: the user id, exporting the identity for a second device, the
 * relay picker (switching reconnects), and signing out (forgets the
 * identity and this browser's data of it, after a confirmation).
 */
import { type ReactNode, useId, useState } from 'react'
import { useApp } from '../appContext.js'
import { copyText } from '../clipboard.js'

/** The settings screen. */
export function SettingsScreen(): ReactNode {
  const { identity, relay, relays, chooseRelay, signOut } = useApp()
  const [exported, setExported] = useState<string | null>(null)
  const [copied, setCopied] = useState('')
  const userIdId = useId()
  const keyId = useId()
  const relayId = useId()

  const copy = async (text: string) => {
    setCopied((await copyText(text)) ? 'Copied' : 'Select the key and copy it by hand')
  }

  return (
    <>
      <h1>Settings</h1>
      <section className="card stack">
        <h2>Identity</h2>
        <label htmlFor={userIdId}>Your user id</label>
        <input
          id={userIdId}
          type="text"
          readOnly
          value={identity.userId}
          onFocus={(e) => e.target.select()}
        />
        <p className="meta">
          To use this identity on another device, export its key and import it there. Whoever has
          the key can write as you: keep it secret.
        </p>
        {exported === null ? (
          <div className="row">
            <button type="button" onClick={() => setExported(identity.export())}>
              Export identity
            </button>
          </div>
        ) : (
          <>
            <label htmlFor={keyId}>Identity key (keep secret)</label>
            <div className="row grow">
              <input
                id={keyId}
                type="text"
                readOnly
                value={exported}
                onFocus={(e) => e.target.select()}
              />
              <button type="button" onClick={() => void copy(exported)}>
                Copy
              </button>
            </div>
            <p className="meta" aria-live="polite">
              {copied}
            </p>
          </>
        )}
      </section>
      <section className="card stack">
        <h2>Connection</h2>
        <label htmlFor={relayId}>Relay</label>
        <select id={relayId} value={relay} onChange={(event) => chooseRelay(event.target.value)}>
          {relays.map((url) => (
            <option key={url} value={url}>
              {url}
            </option>
          ))}
        </select>
        <p className="meta">
          Your posts are stored on this device first and synced through the relay. Relays share
          everything with each other, so any relay shows the same feed.
        </p>
      </section>
      <section className="card stack">
        <h2>Sign out</h2>
        <p className="meta">
          Forgets your identity and its data in this browser. Export your key first if you want to
          come back.
        </p>
        <div className="row">
          <button
            type="button"
            className="danger"
            onClick={() => {
              if (window.confirm('Sign out and forget this identity and its data in this browser?'))
                void signOut()
            }}
          >
            Sign out
          </button>
        </div>
      </section>
    </>
  )
}
