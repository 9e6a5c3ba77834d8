/**
 * Content-addressed subscription sets (see `messages.ts`, `SUBSCRIBE_SET`):
 * a set of document ids is named by a hash of its sorted ids, so a client
 * that reconnects can name the hundreds of documents it resumes in 16
 * bytes, and a relay can check that a set it is told about is the set its
 * id names. Shared by the client transport and the relay.
 *
 * The set id is the first {@link SET_ID_BYTES} bytes of SHA-256 over
 * `"feedmesh/subscription-set/1"`, a varUint count, then each distinct
 * document id as a varString, sorted by UTF-16 code unit (document ids are
 * ASCII, so that is byte order). lib0's SHA-256 is synchronous in the
 * browser and in Node (node:crypto there).
 *
 * @module
 */
import * as encoding from 'lib0/encoding'
import { digest } from 'lib0/hash/sha256'
import type { DocId } from '../docIds.js'

/** The byte length of a subscription set id on the wire. */
export const SET_ID_BYTES = 16

/** The error codes that answer a `SUBSCRIBE_SET` instead of `SYNCED`, as a const object. */
export const SubscriptionSetErrorCodes = {
  /** The base set is not known to this relay (evicted, restarted, another relay): send the full list. */
  UnknownSet: 'unknown-set',
  /** The documents do not hash to the set id, or name something that is not a document id. */
  BadSet: 'bad-set',
} as const

/** One of {@link SubscriptionSetErrorCodes}. */
export type SubscriptionSetErrorCode =
  (typeof SubscriptionSetErrorCodes)[keyof typeof SubscriptionSetErrorCodes]

const domain = 'feedmesh/subscription-set/1'

/** The distinct ids of `docIds`, sorted as set ids sort them. */
export function sortedSet(docIds: Iterable<DocId>): DocId[] {
  return [...new Set(docIds)].sort()
}

/** The id of the set of `docIds` (duplicates and order do not matter). */
export function subscriptionSetId(docIds: Iterable<DocId>): Uint8Array {
  const sorted = sortedSet(docIds)
  const e = encoding.createEncoder()
  encoding.writeVarString(e, domain)
  encoding.writeVarUint(e, sorted.length)
  for (const docId of sorted) encoding.writeVarString(e, docId)
  return new Uint8Array(digest(encoding.toUint8Array(e)).subarray(0, SET_ID_BYTES))
}

/** A set id as a string key (lower-case hex), for maps and logs. */
export function setIdKey(setId: Uint8Array): string {
  let key = ''
  for (const byte of setId) key += byte.toString(16).padStart(2, '0')
  return key
}
