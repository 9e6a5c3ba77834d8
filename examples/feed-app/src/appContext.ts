/**
 * The app-level state that screens need besides the feed client: the
 * identity, the relay in use and the relays offered, and the actions that
 * change them (pick a relay, sign out).
 */
import type { Identity } from '@feedmesh/core'
import { createContext, useContext } from 'react'

/** What {@link AppContext} carries. */
export interface AppState {
  /** The signed-in identity. */
  identity: Identity
  /** The relay in use (a `ws://` or `wss://` URL). */
  relay: string
  /** The relays the picker offers. */
  relays: string[]
  /** Switches to another relay (saved for later loads). */
  chooseRelay: (url: string) => void
  /** Forgets the identity and this browser's data of it. */
  signOut: () => Promise<void>
}

/** The app state of the signed-in session; `null` before sign-in. */
export const AppContext = createContext<AppState | null>(null)
AppContext.displayName = 'AppContext'

/** The app state; throws outside a signed-in session. */
export function useApp(): AppState {
  const state = useContext(AppContext)
  if (state === null) throw new Error('useApp needs the signed-in session')
  return state
}
