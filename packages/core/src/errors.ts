/**
 * Named failures of feedmesh. Every error the library throws at an app is a
 * {@link FeedmeshError} with a stable `code`, so callers branch on codes, not
 * on messages.
 */

/** Every error code feedmesh raises, as a const object; {@link ErrorCode} is the union. */
export const ErrorCodes = {
  /** A document id that does not parse. */
  BadDocId: 'bad-doc-id',
  /** A record key (`author/id/rev/client`) that does not parse. */
  BadRecordKey: 'bad-record-key',
  /** An exported identity string that cannot be imported. */
  BadIdentity: 'bad-identity',
  /** A record that fails its schema. */
  BadRecord: 'bad-record',
  /** A reference (`<uid>/<postId>`) that does not parse. */
  BadRef: 'bad-ref',
  /** An argument an app passed that is out of range or malformed. */
  BadArgument: 'bad-argument',
  /** An operation on a client that was closed. */
  Closed: 'closed',
  /** Storage failed or returned data it cannot read. */
  Storage: 'storage',
  /** The write guard refused an update; `rule` names why. */
  Refused: 'refused',
  /** A wait did not complete in time (e.g. `FeedClient.whenSynced`). */
  Timeout: 'timeout',
  /** No relay to wait for: none is configured, or every one refused this client for good. */
  NoRelay: 'no-relay',
} as const

/** Union of every {@link ErrorCodes} value. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

/** An error with a stable, typed code. */
export class FeedmeshError extends Error {
  /** The stable code of this failure. */
  readonly code: ErrorCode

  /**
   * @param code stable code, one of {@link ErrorCodes}
   * @param message human-readable explanation
   * @param options standard error options (`cause`)
   */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FeedmeshError'
    this.code = code
  }
}
