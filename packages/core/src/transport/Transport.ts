/**
 * The network seam of the client: a connection to one relay that carries
 * any number of documents. The in-memory implementation
 * (`MemoryTransport`) backs the tests; the WebSocket one follows with the
 * relay.
 *
 * Exchange, per connection:
 * - `subscribe` names many documents at once, each with the client's state
 *   vector; the relay answers each with `synced`: the update the client is
 *   missing and the relay's own state vector, so the client can send back
 *   what the relay lacks. Catching up on N documents costs one round trip.
 * - `sendUpdate` carries a local update with a client-chosen `ref`; the
 *   relay answers `ack` once the update is durably stored, or `error`
 *   naming the rule that refused it.
 * - `update` delivers changes others made to a subscribed document.
 */
import type { DocId } from '../docIds.js'

/** The states of a transport, as a const object; {@link TransportState} is the union. */
export const TransportStates = {
  Connecting: 'connecting',
  Open: 'open',
  Closed: 'closed',
} as const

/** One of {@link TransportStates}. */
export type TransportState = (typeof TransportStates)[keyof typeof TransportStates]

/** An error a relay reports. */
export interface RelayError {
  /** Stable error code, e.g. `refused`, `bad-frame`, `too-many-docs`. */
  code: string
  /** The guard rule, when the error is a refused update. */
  rule?: string
  /** The document concerned, if any. */
  docId?: DocId
  /** The `ref` of the update concerned, if any. */
  ref?: number
  /** Human-readable explanation. */
  message: string
}

/** What a transport reports to its client. */
export interface TransportHandler {
  /** The connection is open and authenticated; `relay` names the relay. */
  onOpen(relay: string): void
  /** The connection closed (and will not reopen by itself). */
  onClose(reason: string): void
  /** Answer to a subscription: what the client misses, and the relay's state vector. */
  onSynced(docId: DocId, update: Uint8Array, stateVector: Uint8Array): void
  /** A live update of a subscribed document. */
  onUpdate(docId: DocId, update: Uint8Array): void
  /** The update sent with `ref` is durably stored. */
  onAck(docId: DocId, ref: number): void
  /** The relay reports an error. */
  onError(error: RelayError): void
}

/** A subscription request for one document. */
export interface Subscription {
  /** The document. */
  docId: DocId
  /** The client's state vector of it (`Y.encodeStateVector`). */
  stateVector: Uint8Array
}

/** A connection to one relay. */
export interface Transport {
  /** The current state. */
  readonly state: TransportState
  /** Opens the connection; events go to `handler`. */
  connect(handler: TransportHandler): void
  /** Closes the connection; `onClose` follows. */
  disconnect(): void
  /** Subscribes to many documents in one message. */
  subscribe(subscriptions: readonly Subscription[]): void
  /** Stops live updates for these documents. */
  unsubscribe(docIds: readonly DocId[]): void
  /** Sends a local update; `ref` comes back in `onAck` or `onError`. */
  sendUpdate(docId: DocId, update: Uint8Array, ref: number): void
}
