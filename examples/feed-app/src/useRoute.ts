/** The hook that follows the location hash as a parsed {@link Route}. */
import { useMemo, useSyncExternalStore } from 'react'
import { parseHash, type Route } from './routes.js'

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}

function currentHash(): string {
  return location.hash
}

/** The current route; re-renders when the hash changes. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, currentHash)
  return useMemo(() => parseHash(hash), [hash])
}
