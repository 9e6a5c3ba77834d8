/**
 * Checked presence: which entries of a client's awareness update the relay
 * passes on. A state says who it is with its `user` field (core's
 * `Presence` puts the connection's user id there); the relay passes a
 * state on only when `user` is the user the connection authenticated as,
 * so nobody appears as someone else, on this relay or, through the mesh,
 * on any other.
 *
 * - A state (not `null`) whose `user` is not the connection's user, or
 *   from a connection that did not authenticate, is forged: dropped, and
 *   the frame is answered with `ERROR awareness-refused` (the connection
 *   stays usable; the other entries of the frame still go out).
 * - A `null` state (a client leaving) passes the check; the relay then
 *   drops it when the client id's latest state named another user
 *   (`mesh/AwarenessFilter.ts`), so nobody makes someone else's presence
 *   disappear, while a presence that starts hidden still tells the others
 *   it arrived (they re-announce themselves when an unknown client id
 *   shows up).
 * - A payload that does not decode as an awareness update is refused as a
 *   whole (`awareness-refused`).
 *
 * y-websocket connections (`YSession.ts`) do not authenticate: their
 * states pass unless they claim a feedmesh user id as `user`
 * ({@link unclaimedAwareness}); their `null` states pass as they come.
 */
import { isUserId, type UserId } from '@feedmesh/core'
import {
  type AwarenessEntry,
  decodeAwarenessEntries,
  encodeAwarenessEntries,
  isRemoval,
} from './awarenessEntries.js'

/** What the check kept of a frame. */
export interface AwarenessVerdict {
  /** The entries to pass on (possibly none). */
  accepted: AwarenessEntry[]
  /** The update to pass on: the payload itself when every entry passed, else the accepted ones; undefined when none. */
  payload: Uint8Array | undefined
  /** Why something was refused (forged state or a payload that does not decode), to report; undefined when nothing was. */
  refusal: string | undefined
}

/** The `user` a JSON state claims; undefined when it is not an object with one. */
export function claimedUser(json: string): unknown {
  let state: unknown
  try {
    state = JSON.parse(json)
  } catch {
    return undefined
  }
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return undefined
  return (state as Record<string, unknown>).user
}

/** Checks a client's awareness update against the connection's user (see the module comment). */
export function checkAwareness(payload: Uint8Array, userId: UserId | undefined): AwarenessVerdict {
  let entries: AwarenessEntry[]
  try {
    entries = decodeAwarenessEntries(payload)
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    return {
      accepted: [],
      payload: undefined,
      refusal: `the payload is not an awareness update (${why})`,
    }
  }
  const accepted: AwarenessEntry[] = []
  let refusal: string | undefined
  for (const entry of entries) {
    if (isRemoval(entry)) {
      accepted.push(entry)
      continue
    }
    if (userId === undefined) {
      refusal = 'presence needs an authenticated connection (AUTH)'
      continue
    }
    const user = claimedUser(entry.json)
    if (user !== userId) {
      refusal = `a presence state must carry the connection's user id as "user" (client ${entry.clientId})`
      continue
    }
    accepted.push(entry)
  }
  const passed =
    accepted.length === 0
      ? undefined
      : accepted.length === entries.length
        ? payload
        : encodeAwarenessEntries(accepted)
  return { accepted, payload: passed, refusal }
}

/**
 * The update an unauthenticated y-websocket connection may pass on: its
 * entries minus the states whose `user` is a feedmesh user id; undefined
 * when nothing is left or the payload does not decode.
 */
export function unclaimedAwareness(payload: Uint8Array): Uint8Array | undefined {
  let entries: AwarenessEntry[]
  try {
    entries = decodeAwarenessEntries(payload)
  } catch {
    return undefined
  }
  const kept = entries.filter((entry) => isRemoval(entry) || !isUserId(claimedUser(entry.json)))
  if (kept.length === 0) return undefined
  return kept.length === entries.length ? payload : encodeAwarenessEntries(kept)
}
