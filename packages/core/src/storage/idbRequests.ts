/**
 * Small promise helpers over the raw IndexedDB API (no `idb` dependency):
 * opening a database with an upgrade callback, and waiting for a
 * transaction to commit. Every failure becomes a {@link FeedmeshError} with
 * code `storage`, carrying the IndexedDB error as its cause.
 */
import { ErrorCodes, FeedmeshError } from '../errors.js'

/** A `storage` error with `cause` attached. */
export function storageError(message: string, cause?: unknown): FeedmeshError {
  const detail = cause instanceof Error ? `: ${cause.name}: ${cause.message}` : ''
  return new FeedmeshError(ErrorCodes.Storage, `${message}${detail}`, { cause })
}

/**
 * Opens database `name` at `version` on `factory`, running `upgrade` when
 * the database is created or older. Rejects with `storage` when the
 * database cannot be opened (newer version on disk, quota, private mode).
 */
export function openDatabase(
  factory: IDBFactory,
  name: string,
  version: number,
  upgrade: (db: IDBDatabase, tx: IDBTransaction, oldVersion: number) => void,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest
    try {
      request = factory.open(name, version)
    } catch (err) {
      reject(storageError(`cannot open IndexedDB database "${name}"`, err))
      return
    }
    request.onupgradeneeded = (event) => {
      const tx = request.transaction
      if (tx === null) return
      try {
        upgrade(request.result, tx, event.oldVersion)
      } catch (err) {
        tx.abort()
        reject(storageError(`cannot upgrade IndexedDB database "${name}"`, err))
      }
    }
    request.onsuccess = () => resolve(request.result)
    request.onerror = (event) => {
      event.preventDefault()
      reject(storageError(`cannot open IndexedDB database "${name}"`, request.error))
    }
  })
}

/**
 * Resolves when `tx` commits (for a readwrite transaction with strict
 * durability: once the data is on disk); rejects with `storage` when it
 * aborts or fails.
 */
export function transactionDone(tx: IDBTransaction, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // A failed request is never "handled" here (no preventDefault): the
    // error aborts the whole transaction, which is what keeps it atomic.
    let failure: unknown = null
    tx.oncomplete = () => resolve()
    tx.onerror = (event) => {
      failure ??= (event.target as IDBRequest | null)?.error ?? tx.error
    }
    tx.onabort = () => reject(storageError(`${what} failed`, tx.error ?? failure))
  })
}

/** `value` as a `Uint8Array` (also from another realm), or `null` when it is none. */
export function asBytes(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value
  if (
    ArrayBuffer.isView(value) &&
    Object.prototype.toString.call(value) === '[object Uint8Array]'
  ) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  }
  return null
}
