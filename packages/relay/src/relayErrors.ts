/**
 * The error codes a relay sends in `ERROR` frames, besides the codes of the
 * wire codec (`ProtocolErrorCodes`, sent as they are when a frame does not
 * decode). Each names one failure a client can branch on; the message
 * carries the details for people.
 */

/** Error codes of `ERROR` frames, as a const object; {@link RelayErrorCode} is the union. */
export const RelayErrorCodes = {
  /** The guard refused an update; the frame's `rule` names the guard rule. */
  Refused: 'refused',
  /** Too many updates per second from this connection or this user; retry later. */
  RateLimited: 'rate-limited',
  /** A message other than `AUTH` before `AUTH` succeeded: the connection is closed (`CloseCodes.AuthFailed`). */
  Unauthenticated: 'unauthenticated',
  /** A document id that does not parse. */
  BadDocId: 'bad-doc-id',
  /** A state vector in `SUBSCRIBE` that does not decode. */
  BadStateVector: 'bad-state-vector',
  /** More documents subscribed than the connection's `maxDocs`. */
  TooManyDocs: 'too-many-docs',
  /** A record larger than the relay's `maxRecordBytes`. */
  RecordTooLarge: 'record-too-large',
  /** A document whose state alone does not fit in one frame. */
  DocTooLarge: 'doc-too-large',
  /** A message that a client may not send, or not in this state (e.g. a second `HELLO`). */
  UnexpectedMessage: 'unexpected-message',
  /** `AWARENESS` for a document the connection has not subscribed. */
  NotSubscribed: 'not-subscribed',
  /**
   * `AWARENESS` with a state whose `user` is not the connection's user (or
   * from a connection that did not authenticate), or a payload that is not
   * an awareness update: those entries are dropped, the others relayed.
   */
  AwarenessRefused: 'awareness-refused',
  /** A peer relay whose key is not among the trusted keys (`--trust`), or a relay that trusts none. */
  UntrustedPeer: 'untrusted-peer',
  /** The `AUTH` signature does not verify. */
  AuthFailed: 'auth-failed',
  /** The store failed to load or commit; the update was not stored. Retry later. */
  StorageFailed: 'storage-failed',
  /** The relay failed unexpectedly while handling the frame. */
  Internal: 'internal',
  /** No frame arrived for the idle timeout: the connection is closed (`CloseCodes.IdleTimeout`). */
  IdleTimeout: 'idle-timeout',
  /** A peer relay answered with something the link protocol does not allow at that point. */
  PeerProtocol: 'peer-protocol',
} as const

/** One of {@link RelayErrorCodes}. */
export type RelayErrorCode = (typeof RelayErrorCodes)[keyof typeof RelayErrorCodes]
