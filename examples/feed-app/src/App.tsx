/**
 * The app's root: onboarding while this browser has no identity, then the
 * signed-in session (a feed client on the chosen relay, see
 * {@link ClientRoot}). Holds the relay choice and the sign-out flow.
 */
import type { Identity } from '@feedmesh/core'
import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { flushSync } from 'react-dom'
import { AppContext, type AppState } from './appContext.js'
import { ClientRoot, type NewProfile } from './ClientRoot.js'
import {
  databaseName,
  deleteDatabase,
  forgetIdentity,
  loadIdentity,
  saveIdentity,
} from './identityStore.js'
import { fetchConfiguredRelays, initialRelay, relayChoices, saveRelayChoice } from './relays.js'
import { feedHref, navigate } from './routes.js'
import { Onboarding } from './screens/Onboarding.js'

interface Session {
  identity: Identity
  newProfile?: NewProfile
}

/** The app (see the module comment). */
export function App(): ReactNode {
  const [session, setSession] = useState<Session | null>(() => {
    const identity = loadIdentity()
    return identity === null ? null : { identity }
  })
  const [relay, setRelay] = useState(initialRelay)
  const [configured, setConfigured] = useState<string[]>([])
  const closing = useRef<Promise<void>>(Promise.resolve())

  useEffect(() => {
    const abort = new AbortController()
    void fetchConfiguredRelays(abort.signal).then((relays) => {
      if (!abort.signal.aborted) setConfigured(relays)
    })
    return () => abort.abort()
  }, [])

  const onClosing = useCallback((done: Promise<void>) => {
    closing.current = done
  }, [])

  const chooseRelay = useCallback((url: string) => {
    saveRelayChoice(url)
    setRelay(url)
  }, [])

  const identity = session?.identity
  const signOut = useCallback(async () => {
    if (identity === undefined) return
    forgetIdentity(identity.userId)
    flushSync(() => setSession(null))
    await closing.current
    await deleteDatabase(databaseName(identity.userId))
    history.replaceState(null, '', `${location.pathname}${location.search}`)
  }, [identity])

  const state = useMemo<AppState | null>(
    () =>
      identity === undefined
        ? null
        : { identity, relay, relays: relayChoices(configured, relay), chooseRelay, signOut },
    [identity, relay, configured, chooseRelay, signOut],
  )

  if (session === null || state === null) {
    return (
      <Onboarding
        onReady={(next, newProfile) => {
          saveIdentity(next)
          setSession(newProfile === undefined ? { identity: next } : { identity: next, newProfile })
          navigate(feedHref)
        }}
      />
    )
  }
  return (
    <AppContext value={state}>
      <ClientRoot
        key={`${session.identity.userId} ${relay}`}
        identity={session.identity}
        relay={relay}
        newProfile={session.newProfile}
        onClosing={onClosing}
      />
    </AppContext>
  )
}
