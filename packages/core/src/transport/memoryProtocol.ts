/**
 * The frames {@link MemoryTransport}s, {@link MemoryRelay}s and relay peer
 * links exchange over a {@link SimNetwork}: plain objects, not bytes, with
 * the same exchange as the WebSocket protocol.
 *
 * Client connection:
 * 1. client → relay `hello` (the user id it claims); relay → client
 *    `challenge` (a fresh nonce); client → relay `auth` (its signature over
 *    {@link authMessage}); relay → client `welcome` (the relay's name), or
 *    `error` + `close` when the signature does not verify. Frames the client
 *    sends before `welcome` wait in the transport.
 * 2. `subscribe` (many documents) → one `synced` batch (also when empty:
 *    every `subscribe` is answered, in order); `update` → `ack` once
 *    durable, or `error` (code `refused`, the guard's rule); relay → client
 *    `update` for changes others made; `unsubscribe`; `awareness` both ways
 *    (relayed to the document's other subscribers, never stored; `error`
 *    `not-subscribed` for a document the connection did not subscribe);
 *    `bye`.
 *
 * Peer link (two trusted relays): each side sends a `digest` (every
 * document with its state vector) whenever the link comes up; each answers
 * with the `update` the other misses for every document it holds, then both
 * push every accepted change live. A relay that receives a change whose
 * dependencies it lacks (possible right after a link comes up) drops it and
 * sends a partial `digest` of that document, so the other side re-sends
 * everything it misses.
 *
 * @module
 */
import { toBase64url } from '../base64url.js'
import type { DocId } from '../docIds.js'
import type { UserId } from '../Identity.js'
import type { RelayError, Subscription } from './Transport.js'

/** Error codes a relay reports, as a const object; {@link RelayErrorCode} is the union. */
export const RelayErrorCodes = {
  /** The guard refused an update; `rule` names why. */
  Refused: 'refused',
  /** A document id that does not parse. */
  BadDocId: 'bad-doc-id',
  /** A frame that is malformed (e.g. a state vector or update that does not decode). */
  BadFrame: 'bad-frame',
  /** A frame before authentication, or a signature that does not verify. */
  Unauthenticated: 'unauthenticated',
  /** `awareness` for a document the connection has not subscribed. */
  NotSubscribed: 'not-subscribed',
} as const

/** One of {@link RelayErrorCodes}. */
export type RelayErrorCode = (typeof RelayErrorCodes)[keyof typeof RelayErrorCodes]

/** A frame from a client to a relay. */
export type ClientFrame =
  | { t: 'hello'; userId: UserId }
  | { t: 'auth'; signature: Uint8Array }
  | { t: 'subscribe'; subscriptions: Subscription[] }
  | { t: 'unsubscribe'; docIds: DocId[] }
  | { t: 'update'; docId: DocId; update: Uint8Array; ref: number }
  | { t: 'awareness'; docId: DocId; payload: Uint8Array }
  | { t: 'bye' }

/** One document of a `synced` batch. */
export interface SyncedDoc {
  /** The document. */
  docId: DocId
  /** What the client misses. */
  update: Uint8Array
  /** The relay's state vector. */
  stateVector: Uint8Array
}

/** A frame from a relay to a client. */
export type RelayFrame =
  | { t: 'challenge'; nonce: Uint8Array }
  | { t: 'welcome'; relay: string }
  | { t: 'synced'; docs: SyncedDoc[] }
  | { t: 'update'; docId: DocId; update: Uint8Array }
  | { t: 'ack'; docId: DocId; ref: number }
  | { t: 'awareness'; docId: DocId; payload: Uint8Array }
  | { t: 'error'; error: RelayError }
  | { t: 'close'; reason: string }

/** A frame between two peer relays. */
export type PeerFrame =
  | {
      t: 'digest'
      docs: { docId: DocId; stateVector: Uint8Array }[]
      /** True: the sender lists every document it holds; false: answer only these. */
      complete: boolean
    }
  | { t: 'update'; docId: DocId; update: Uint8Array }

const encoder = new TextEncoder()

/** The bytes a client signs to prove its user id to the relay named `relay`. */
export function authMessage(relay: string, nonce: Uint8Array): Uint8Array {
  return encoder.encode(`feedmesh-auth-v1\n${relay}\n${toBase64url(nonce)}`)
}
