/**
 * The one exception the wire codec throws. `decodeMessage` turns every
 * malformed input into a {@link ProtocolError} with a stable code (never a
 * RangeError or a lib0 error), so a relay can answer any bytes with an
 * `ERROR` frame and a close code instead of crashing. `encodeMessage` and
 * `authPayload` throw it (`bad-field`) for messages that cannot be encoded.
 *
 * @module
 */

/** The codes of {@link ProtocolError}, as a const object; {@link ProtocolErrorCode} is the union. */
export const ProtocolErrorCodes = {
  /** Malformed content: a non-canonical or oversized varUint, invalid UTF-8, a boolean or role out of range. */
  BadFrame: 'bad-frame',
  /** The frame's message type is not one this version knows (or is the reserved 0). */
  UnknownType: 'unknown-type',
  /** The frame ends in the middle of a field, or is empty. */
  Truncated: 'truncated',
  /** The frame, a batch, a document id or a string exceeds its limit. */
  TooLarge: 'too-large',
  /** Bytes remain after the last field of the message. */
  TrailingBytes: 'trailing-bytes',
  /** A `HELLO` of a protocol version this side does not speak, or a `CHALLENGE` whose version range leaves out `PROTOCOL_VERSION`. */
  BadVersion: 'bad-version',
  /** A `HELLO` or `CHALLENGE` that does not start with the protocol name: not a feedmesh peer. */
  BadMagic: 'bad-magic',
  /** Encoding: a field out of range (a negative or fractional number, a key that is not a user id, a nonce of the wrong size, a lone surrogate). */
  BadField: 'bad-field',
} as const

/** One of {@link ProtocolErrorCodes}. */
export type ProtocolErrorCode = (typeof ProtocolErrorCodes)[keyof typeof ProtocolErrorCodes]

/** A frame that cannot be decoded, or a message that cannot be encoded. */
export class ProtocolError extends Error {
  /** The stable code of this failure. */
  readonly code: ProtocolErrorCode

  /**
   * @param code stable code, one of {@link ProtocolErrorCodes}
   * @param message human-readable explanation
   * @param options standard error options (`cause`)
   */
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ProtocolError'
    this.code = code
  }
}
