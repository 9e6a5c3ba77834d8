/**
 * The error codes `WebSocketTransport` reports through
 * `TransportHandler.onError` for failures it detects itself (the relay's own
 * `ERROR` frames keep the relay's codes, and frames that fail to decode keep
 * their `ProtocolErrorCodes` code, e.g. `bad-frame` or `bad-version`).
 *
 * @module
 */

/** Codes of transport-side errors, as a const object; {@link WebSocketErrorCode} is the union. */
export const WebSocketErrorCodes = {
  /** The socket closed before it ever opened (relay down, DNS, TLS, refused upgrade). */
  Unreachable: 'unreachable',
  /** The socket opened but no `WELCOME` arrived in time. */
  HandshakeTimeout: 'handshake-timeout',
  /** No frame (not even a `PONG`) arrived for the idle timeout: the relay or the path to it is dead. */
  IdleTimeout: 'idle-timeout',
  /** A well-formed message that the relay must not send, or not now (e.g. `SYNCED` before `WELCOME`). */
  UnexpectedMessage: 'unexpected-message',
  /** A `WELCOME` for another user or role than this connection authenticated as. */
  BadWelcome: 'bad-welcome',
  /** A text frame: the protocol is binary only. */
  TextFrame: 'text-frame',
  /** `sendUpdate` on a transport without an identity: it only reads. */
  ReadOnly: 'read-only',
  /** An update whose frame exceeds the relay's announced `maxFrameBytes`: not sent. */
  TooLarge: 'too-large',
} as const

/** One of {@link WebSocketErrorCodes}. */
export type WebSocketErrorCode = (typeof WebSocketErrorCodes)[keyof typeof WebSocketErrorCodes]
