/**
 * WebSocket close codes of the feedmesh protocol: the standard ones it uses
 * (RFC 6455 §7.4.1) and its own 4xxx application codes. A side that closes
 * for a reason the other should know sends an `ERROR` frame first, then
 * closes with one of these codes; the close reason is a short text for
 * logs.
 *
 * @module
 */
import { type ProtocolErrorCode, ProtocolErrorCodes } from './ProtocolError.js'

/** Close codes, as a const object; {@link CloseCode} is the union. */
export const CloseCodes = {
  /** The work is done (a client disconnecting on purpose). */
  Normal: 1000,
  /** The relay is shutting down (SIGTERM drain) or the client is leaving: reconnect, possibly elsewhere. */
  GoingAway: 1001,
  /** A frame that does not decode, or a message that is not allowed in the connection's state (e.g. `SUBSCRIBE` before `WELCOME`). */
  ProtocolError: 1002,
  /** A text frame: the protocol is binary only. */
  UnsupportedData: 1003,
  /** A policy was broken, e.g. rate limits exceeded again after `ERROR`s. */
  PolicyViolation: 1008,
  /** A frame larger than the announced `maxFrameBytes`. */
  TooLarge: 1009,
  /** The relay failed unexpectedly (e.g. storage); reconnect with backoff. */
  InternalError: 1011,
  /** The relay is overloaded; reconnect later, with backoff. */
  TryAgainLater: 1013,
  /** The `AUTH` signature does not verify, the key does not match the `HELLO`, or a message other than `AUTH` came before authentication. Do not retry with the same key. */
  AuthFailed: 4001,
  /** A peer relay authenticated with a key that is not among the trusted peers. Do not retry until reconfigured. */
  UntrustedPeer: 4002,
  /** The other side speaks no protocol version this side speaks (`HELLO` version, `CHALLENGE` range). Do not retry until upgraded. */
  BadVersion: 4003,
  /** No valid `AUTH` arrived in time after the `CHALLENGE`. */
  AuthTimeout: 4004,
  /** A newer connection of the same peer relay replaced this one. Do not reconnect this link. */
  Replaced: 4005,
  /** The connection was idle (no frame, no `PONG`) for too long. */
  IdleTimeout: 4006,
} as const

/** One of {@link CloseCodes}. */
export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes]

const final: ReadonlySet<number> = new Set([
  CloseCodes.Normal,
  CloseCodes.UnsupportedData,
  CloseCodes.AuthFailed,
  CloseCodes.UntrustedPeer,
  CloseCodes.BadVersion,
  CloseCodes.Replaced,
])

/**
 * True when a connection closed with `code` is worth reopening (with
 * backoff): false for codes that the same connection attempt would meet
 * again (auth failed, untrusted peer, bad version, text frames) or that end
 * it on purpose (normal, replaced).
 */
export function shouldReconnect(code: number): boolean {
  return !final.has(code)
}

/** The close code for a frame that failed to decode with `code`. */
export function closeCodeFor(code: ProtocolErrorCode): CloseCode {
  if (code === ProtocolErrorCodes.TooLarge) return CloseCodes.TooLarge
  if (code === ProtocolErrorCodes.BadVersion) return CloseCodes.BadVersion
  return CloseCodes.ProtocolError
}
