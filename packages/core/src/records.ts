/**
 * Signed records: the only data feedmesh stores.
 *
 * `{ doc, author, type, id, rev, at, yid, body, sig }`. `sig` is the
 * author's Ed25519 signature over the canonical encoding of every other
 * field: a fixed domain prefix, then JSON with object keys sorted and no
 * whitespace. `doc` and `yid` bind the record to one document and one Yjs
 * item, so a valid record cannot be replayed elsewhere.
 */
import * as v from 'valibot'
import { fromBase64url, toBase64url } from './base64url.js'
import { verify } from './ed25519.js'
import type { Identity, UserId } from './Identity.js'
import {
  EnvelopeSchema,
  isValidBody,
  type RecordBodies,
  type RecordType,
  type Tombstone,
} from './schemas.js'

/** A Yjs item id: `[client, clock]`. */
export type YId = readonly [client: number, clock: number]

/** A record before it is signed. */
export interface UnsignedRecord<T extends RecordType = RecordType> {
  /** The document the record belongs to. */
  doc: string
  /** The author's user id. */
  author: UserId
  /** The record type. */
  type: T
  /** The record's id, unique among its author's records in this document. */
  id: string
  /** The version, from 1; an edit writes `rev + 1`. */
  rev: number
  /** The author's timestamp, in ms since the epoch. */
  at: number
  /** The Yjs item id the record is stored under. */
  yid: YId
  /** The content (or a tombstone). */
  body: RecordBodies[T] | Tombstone
}

/** A record with its author's signature. */
export interface SignedRecord<T extends RecordType = RecordType> extends UnsignedRecord<T> {
  /** base64url Ed25519 signature over {@link canonicalBytes}. */
  sig: string
}

const domain = 'feedmesh-record-v1\n'
const encoder = new TextEncoder()

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
  return `{${entries.join(',')}}`
}

/** The canonical string a record's signature covers (every field but `sig`). */
export function canonicalString(record: UnsignedRecord | SignedRecord): string {
  const { doc, author, type, id, rev, at, yid, body } = record
  return domain + canonicalJson({ doc, author, type, id, rev, at, yid, body })
}

/** The canonical bytes a record's signature covers. */
export function canonicalBytes(record: UnsignedRecord | SignedRecord): Uint8Array {
  return encoder.encode(canonicalString(record))
}

/** Signs a record as `identity`, which must be its author. */
export function signRecord<T extends RecordType>(
  identity: Identity,
  record: UnsignedRecord<T>,
): SignedRecord<T> {
  if (record.author !== identity.userId) {
    throw new Error('a record can only be signed by its author')
  }
  return { ...record, sig: toBase64url(identity.sign(canonicalBytes(record))) }
}

/** True when a record's body is a tombstone (a deletion). */
export function isTombstone(record: SignedRecord): boolean {
  return (record.body as { deleted?: unknown }).deleted === true
}

/**
 * Checks the shape of an untrusted value: the envelope and the body of its
 * type. Returns the record, or `null` when it fails its schema.
 */
export function parseRecord(value: unknown): SignedRecord | null {
  const result = v.safeParse(EnvelopeSchema, value)
  if (!result.success) return null
  const record = result.output as SignedRecord
  return isValidBody(record.type, record.body) ? record : null
}

/**
 * Verifies record signatures once: results are cached, keyed by the
 * signature and checked against the exact canonical content, so a valid
 * signature reused on altered content is never taken from the cache.
 */
export class RecordVerifier {
  readonly #cache = new Map<string, { canonical: string; ok: boolean }>()
  readonly #max: number
  /** How many signatures were checked by the backend (cache misses). */
  checked = 0

  /** @param maxEntries bound on cached results (oldest dropped first) */
  constructor(maxEntries = 100_000) {
    this.#max = maxEntries
  }

  /** Records a signature known to be valid (a record this device just signed). */
  remember(record: SignedRecord): void {
    this.#put(record.sig, canonicalString(record), true)
  }

  /** Synchronous cache lookup: `true`/`false` when known, `undefined` when not yet verified. */
  known(record: SignedRecord): boolean | undefined {
    const hit = this.#cache.get(record.sig)
    if (hit === undefined) return undefined
    return hit.canonical === canonicalString(record) ? hit.ok : false
  }

  /** Verifies a record's signature against its author's key. */
  async verify(record: SignedRecord): Promise<boolean> {
    const canonical = canonicalString(record)
    const hit = this.#cache.get(record.sig)
    if (hit !== undefined && hit.canonical === canonical) return hit.ok
    const publicKey = fromBase64url(record.author)
    const signature = fromBase64url(record.sig)
    this.checked++
    const ok =
      publicKey !== null &&
      signature !== null &&
      (await verify(publicKey, encoder.encode(canonical), signature))
    this.#put(record.sig, canonical, ok)
    return ok
  }

  #put(sig: string, canonical: string, ok: boolean): void {
    if (this.#cache.size >= this.#max) {
      const oldest = this.#cache.keys().next()
      if (!oldest.done) this.#cache.delete(oldest.value)
    }
    this.#cache.set(sig, { canonical, ok })
  }
}

/** The verifier shared by everything in this process unless one is passed in. */
export const sharedVerifier: RecordVerifier = new RecordVerifier()
