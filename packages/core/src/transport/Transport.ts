/**
 * The network seam of the client: a connection to one relay that carries
 * any number of documents. The in-memory implementation
 * (`MemoryTransport`) backs the tests; `WebSocketTransport` talks to real
 * relays.
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
 * - `caughtUp` follows the last `synced` of the answer to one `subscribe`
 *   call and names every document of that call: also documents the relay
 *   did not answer because nothing changed since the client's resume point
 *   (resumable catch-up), and documents it refused to subscribe (reported
 *   by `error` first). After it, the client holds everything the relay held
 *   of those documents when it answered.
 * - `sendAwareness` / `awareness`: y-protocols awareness updates (presence,
 *   typing) of a subscribed document, relayed by the relay to the
 *   document's other subscribers and never stored.
 * - `close` says why the connection ended and whether reconnecting can
 *   help: a relay that refused this client's key or protocol version will
 *   refuse it again, so the client stops trying it (`retry: false`).
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

/** How a connection ended, besides its human-readable reason. */
export interface TransportCloseInfo {
  /** The WebSocket close code, when there is one (1006: dropped without a close frame). */
  code?: number
  /**
   * False when connecting again cannot help: the relay refused this key
   * (auth failed) or this protocol version, or the transport was
   * disconnected on purpose. True for drops, timeouts and going-away.
   */
  retry: boolean
}

/** What a transport reports to its client. */
export interface TransportHandler {
  /** The connection is open and authenticated; `relay` names the relay. */
  onOpen(relay: string): void
  /**
   * The connection closed (and will not reopen by itself); called once per
   * `connect()`. `info.retry` false: do not connect to this relay again.
   */
  onClose(reason: string, info: TransportCloseInfo): void
  /** Answer to a subscription: what the client misses, and the relay's state vector. */
  onSynced(docId: DocId, update: Uint8Array, stateVector: Uint8Array): void
  /**
   * The answer to one `subscribe` call is complete: every `onSynced` of it
   * was reported. `docIds` are the documents of that call, answered or not
   * (see the module comment). A transport that splits a call into several
   * requests (batch limits) reports each part on its own; every document of
   * the call is named exactly once.
   */
  onCaughtUp(docIds: readonly DocId[]): void
  /** A live update of a subscribed document. */
  onUpdate(docId: DocId, update: Uint8Array): void
  /** The update sent with `ref` is durably stored. */
  onAck(docId: DocId, ref: number): void
  /** The relay reports an error. */
  onError(error: RelayError): void
  /** Another subscriber's awareness update (`y-protocols/awareness` encoding) of a subscribed document. */
  onAwareness(docId: DocId, payload: Uint8Array): void
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
  /** A name for status and logs before the relay names itself (e.g. its URL). */
  readonly name: string
  /** The current state. */
  readonly state: TransportState
  /** Opens the connection; events go to `handler`. */
  connect(handler: TransportHandler): void
  /** Closes the connection; `onClose` follows. */
  disconnect(): void
  /**
   * Subscribes to many documents in one message; `onCaughtUp` follows the
   * answer. Called while connecting, the request waits and goes out right
   * behind the handshake (its answer follows `onOpen`).
   */
  subscribe(subscriptions: readonly Subscription[]): void
  /** Stops live updates for these documents. */
  unsubscribe(docIds: readonly DocId[]): void
  /** Sends a local update; `ref` comes back in `onAck` or `onError`. */
  sendUpdate(docId: DocId, update: Uint8Array, ref: number): void
  /**
   * Sends an awareness update of a subscribed document (`y-protocols/awareness`
   * encoding) to its other subscribers; soft state: never acknowledged,
   * never stored, lost when the connection is not open.
   */
  sendAwareness(docId: DocId, payload: Uint8Array): void
}
