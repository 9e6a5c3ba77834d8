/**
 * One signed-in session on one relay: opens the user's IndexedDB storage
 * and a {@link FeedClient} whose transport is a WebSocket to the relay,
 * provides it to the app, and closes both when unmounted (sign-out, or a
 * relay switch, which remounts it). The client works with the relay
 * unreachable: writes go to the outbox and reach the relay on reconnect.
 */
import { FeedClient, type Identity, IndexedDbStorage, WebSocketTransport } from '@feedmesh/core'
import { FeedProvider } from '@feedmesh/react'
import { type ReactNode, useEffect, useRef, useState } from 'react'
import { Shell } from './components/Shell.js'
import { databaseName } from './identityStore.js'
import { messageOf } from './useAction.js'

/** The longest wait between attempts to reach an unreachable relay, ms. */
const RECONNECT_MAX_MS = 5_000

/** The profile to write once the client of a newly created identity is open. */
export interface NewProfile {
  /** Display name. */
  name: string
  /** Bio (may be empty). */
  bio: string
}

/** Props of {@link ClientRoot}. */
export interface ClientRootProps {
  /** The signed-in identity. */
  identity: Identity
  /** The relay's WebSocket URL. */
  relay: string
  /** A profile to set once open (a new identity). */
  newProfile?: NewProfile | undefined
  /** Told the promise of the client's and storage's closing when unmounting. */
  onClosing: (done: Promise<void>) => void
}

/** The session (see the module comment). */
export function ClientRoot({ identity, relay, newProfile, onClosing }: ClientRootProps): ReactNode {
  const [client, setClient] = useState<FeedClient | null>(null)
  const [error, setError] = useState<string | null>(null)
  const profileWritten = useRef(false)

  useEffect(() => {
    let cancelled = false
    let opened: { client: FeedClient; storage: IndexedDbStorage } | null = null
    let opening: Promise<void> = Promise.resolve()
    opening = (async () => {
      const storage = await IndexedDbStorage.open(databaseName(identity.userId))
      if (cancelled) {
        await storage.close()
        return
      }
      const transport = new WebSocketTransport({ url: relay, identity, resume: true })
      const next = await FeedClient.open({
        identity,
        storage,
        transports: [transport],
        backoff: { maxMs: RECONNECT_MAX_MS },
      })
      if (cancelled) {
        await next.close()
        await storage.close()
        return
      }
      opened = { client: next, storage }
      setClient(next)
    })().catch((err: unknown) => {
      if (!cancelled) setError(messageOf(err))
    })
    return () => {
      cancelled = true
      onClosing(
        opening.then(async () => {
          if (opened === null) return
          await opened.client.close()
          await opened.storage.close()
        }),
      )
    }
  }, [identity, relay, onClosing])

  useEffect(() => {
    if (client === null || newProfile === undefined || profileWritten.current) return
    profileWritten.current = true
    const profile = newProfile.bio === '' ? { name: newProfile.name } : newProfile
    client.setProfile(profile).catch((err: unknown) => setError(messageOf(err)))
  }, [client, newProfile])

  if (error !== null && client === null) {
    return (
      <main className="splash">
        <h1>feedmesh could not start</h1>
        <p role="alert">{error}</p>
      </main>
    )
  }
  if (client === null) {
    return (
      <main className="splash" aria-busy="true">
        <p>Opening your feed…</p>
      </main>
    )
  }
  return (
    <FeedProvider client={client}>
      <Shell />
    </FeedProvider>
  )
}
