/**
 * Named failures of the relay's durable storage. Every error a
 * {@link RelayStore} rejects with is a {@link StoreError} with a stable
 * `code`, so the relay branches on codes (refuse one document, retry later,
 * stop the process), never on messages. {@link toStoreError} maps the native
 * SQLite error codes onto them.
 */

/** Every code a store raises, as a const object; {@link StoreErrorCode} is the union. */
export const StoreErrorCodes = {
  /** Stored bytes that cannot be read: not a SQLite file, a damaged page, or a row that is not a Yjs update. */
  Corrupt: 'corrupt',
  /** An operation on a store that was closed (or is closing). */
  Closed: 'closed',
  /** An argument out of range or of the wrong type. */
  BadArgument: 'bad-argument',
  /** The file system or the database engine failed (disk full, permissions, read-only). */
  Io: 'io',
  /** Another connection held the database longer than the busy timeout. */
  Busy: 'busy',
  /** The database was written by a newer feedmesh relay (its schema version is unknown here). */
  NewerSchema: 'newer-schema',
} as const

/** Union of every {@link StoreErrorCodes} value. */
export type StoreErrorCode = (typeof StoreErrorCodes)[keyof typeof StoreErrorCodes]

/** An error of the relay store, with a stable code and, when one is involved, the document. */
export class StoreError extends Error {
  /** The stable code of this failure. */
  readonly code: StoreErrorCode
  /** The document the failure concerns, when there is one (e.g. the damaged document of `corrupt`). */
  readonly docId: string | undefined

  /**
   * @param code stable code, one of {@link StoreErrorCodes}
   * @param message human-readable explanation
   * @param options `cause` (the native error) and `docId`
   */
  constructor(
    code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown; docId?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StoreError'
    this.code = code
    this.docId = options?.docId
  }
}

/** The SQLite result codes (primary code prefix) that map to each store code. */
const sqliteCodePrefixes: readonly [string, StoreErrorCode][] = [
  ['SQLITE_CORRUPT', StoreErrorCodes.Corrupt],
  ['SQLITE_NOTADB', StoreErrorCodes.Corrupt],
  ['SQLITE_BUSY', StoreErrorCodes.Busy],
  ['SQLITE_LOCKED', StoreErrorCodes.Busy],
]

/**
 * Wraps any thrown value as a {@link StoreError}: a `StoreError` passes
 * through unchanged; a native SQLite error gets the matching code (`corrupt`,
 * `busy`, otherwise `io`) and `what` as context in its message.
 */
export function toStoreError(error: unknown, what: string, docId?: string): StoreError {
  if (error instanceof StoreError) return error
  const native = typeof error === 'object' && error !== null && 'code' in error ? error.code : ''
  const nativeCode = typeof native === 'string' ? native : ''
  const match = sqliteCodePrefixes.find(([prefix]) => nativeCode.startsWith(prefix))
  const code = match === undefined ? StoreErrorCodes.Io : match[1]
  const detail = error instanceof Error ? error.message : String(error)
  const options = docId === undefined ? { cause: error } : { cause: error, docId }
  return new StoreError(code, `${what}: ${detail}${nativeCode ? ` (${nativeCode})` : ''}`, options)
}
