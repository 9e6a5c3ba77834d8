/**
 * Where this browser keeps the user's identity (localStorage, as the
 * exported key string) and the names derived from it: the IndexedDB
 * database of the user's replica and outbox.
 */
import { Identity, type UserId } from '@feedmesh/core'

const IdentityKey = 'feedmesh:identity'
const AckedPrefix = 'feedmesh:acked:'

/** The identity saved in this browser, or `null` (none, or unreadable). */
export function loadIdentity(): Identity | null {
  try {
    const saved = localStorage.getItem(IdentityKey)
    return saved === null ? null : Identity.import(saved)
  } catch {
    return null
  }
}

/** Saves `identity` as this browser's identity. */
export function saveIdentity(identity: Identity): void {
  localStorage.setItem(IdentityKey, identity.export())
}

/** Forgets the identity of this browser and what was remembered about it. */
export function forgetIdentity(userId: UserId): void {
  localStorage.removeItem(IdentityKey)
  localStorage.removeItem(AckedPrefix + userId)
}

/** The IndexedDB database holding `userId`'s replica and outbox. */
export function databaseName(userId: UserId): string {
  return `feedmesh-${userId}`
}

/** True once a relay has acknowledged a write of `userId` from this browser. */
export function everAcked(userId: UserId): boolean {
  return localStorage.getItem(AckedPrefix + userId) !== null
}

/** Remembers that a relay acknowledged a write of `userId`. */
export function rememberAcked(userId: UserId): void {
  localStorage.setItem(AckedPrefix + userId, '1')
}

/** Deletes an IndexedDB database; resolves once it is gone (or could not be deleted). */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => resolve()
  })
}
