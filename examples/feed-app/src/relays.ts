/**
 * Which relay the app talks to, and which relays it offers:
 * - the relay in use is `?relay=ws://...` from the page URL when present
 *   (and then saved), else the saved choice, else the page's own origin as
 *   `ws://<host>/` or `wss://<host>/` (the relay that served the app);
 * - the relays offered are the own origin, the `relays` array of
 *   `GET /feedmesh.json` (missing, 404 or malformed: none) and the relay in
 *   use.
 */

/** The page URL parameter that picks a relay. */
export const RELAY_PARAM = 'relay'

/** Where the chosen relay is saved. */
const ChosenRelayKey = 'feedmesh:relay'

/** The app configuration file a relay may serve. */
export const CONFIG_PATH = '/feedmesh.json'

/** True when `value` is a `ws://` or `wss://` URL. */
export function isRelayUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false
  try {
    const url = new URL(value)
    return url.protocol === 'ws:' || url.protocol === 'wss:'
  } catch {
    return false
  }
}

/** The relay at the page's own origin. */
export function ownOriginRelay(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/`
}

function savedRelay(): string | null {
  try {
    const saved = localStorage.getItem(ChosenRelayKey)
    return isRelayUrl(saved) ? saved : null
  } catch {
    return null
  }
}

/** The relay to use at start (see the module comment); a `?relay=` choice is saved. */
export function initialRelay(): string {
  const param = new URLSearchParams(location.search).get(RELAY_PARAM)
  if (isRelayUrl(param)) {
    localStorage.setItem(ChosenRelayKey, param)
    return param
  }
  return savedRelay() ?? ownOriginRelay()
}

/**
 * Saves `url` as the chosen relay and drops a `?relay=` parameter from the
 * page URL, so that later loads keep this choice.
 */
export function saveRelayChoice(url: string): void {
  localStorage.setItem(ChosenRelayKey, url)
  const current = new URL(location.href)
  if (current.searchParams.has(RELAY_PARAM)) {
    current.searchParams.delete(RELAY_PARAM)
    history.replaceState(history.state, '', current.href)
  }
}

/** The relays listed by `/feedmesh.json`; `[]` when it is missing or malformed. */
export async function fetchConfiguredRelays(signal?: AbortSignal): Promise<string[]> {
  try {
    const response = await fetch(CONFIG_PATH, { cache: 'no-store', signal })
    if (!response.ok) return []
    const config: unknown = await response.json()
    if (typeof config !== 'object' || config === null) return []
    const relays: unknown = Reflect.get(config, 'relays')
    return Array.isArray(relays) ? relays.filter(isRelayUrl) : []
  } catch {
    return []
  }
}

/**
 * The relay list of the picker: own origin, configured relays, the current
 * one; no duplicates (`ws://host:port` and `ws://host:port/` are one relay).
 */
export function relayChoices(configured: readonly string[], current: string): string[] {
  return [...new Set([ownOriginRelay(), ...configured, current].map((url) => new URL(url).href))]
}
