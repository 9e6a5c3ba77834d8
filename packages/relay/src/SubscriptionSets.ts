/**
 * The content-addressed subscription sets a relay remembers (core's
 * `protocol/subscriptionSets.ts`): set id → the sorted document ids, so a
 * client that reconnects can resume hundreds of documents by naming a
 * 16-byte id instead of listing them.
 *
 * In memory, least recently used first out, bounded by a number of sets
 * and by their total size (document id bytes); a set nobody named for
 * `idleMs` is dropped by {@link SubscriptionSets.sweep}, so a relay whose
 * clients left gives the memory back. Losing a set costs a client
 * one round trip (`unknown-set`, then the full list), never correctness,
 * so sets are not persisted: a relay restart forgets them, and every
 * client re-sends its list once.
 */
import { type DocId, setIdKey } from '@feedmesh/core'

/** Bounds of a {@link SubscriptionSets}. */
export interface SubscriptionSetsOptions {
  /** The most sets kept (default 10 000). */
  maxSets?: number
  /** The most document id bytes kept over all sets (default 64 MiB). */
  maxBytes?: number
  /** How long a set nobody named stays remembered, ms (default 1 hour). */
  idleMs?: number
}

interface Entry {
  docs: readonly DocId[]
  bytes: number
  lastUsed: number
}

/** Remembered subscription sets, LRU-bounded (see the module comment). */
export class SubscriptionSets {
  readonly #maxSets: number
  readonly #maxBytes: number
  readonly #idleMs: number
  readonly #sets = new Map<string, Entry>()
  #bytes = 0

  /** @param options bounds */
  constructor(options: SubscriptionSetsOptions = {}) {
    this.#maxSets = Math.max(1, options.maxSets ?? 10_000)
    this.#maxBytes = Math.max(1, options.maxBytes ?? 64 * 1024 * 1024)
    this.#idleMs = options.idleMs ?? 3_600_000
    if (!(this.#idleMs > 0)) throw new RangeError(`idleMs must be positive, got ${this.#idleMs}`)
  }

  /** Number of sets kept. */
  get size(): number {
    return this.#sets.size
  }

  /** Document id bytes kept over all sets. */
  get bytes(): number {
    return this.#bytes
  }

  /** The documents of a set, sorted; undefined when it is not known (any more). Marks it recently used. */
  get(setId: Uint8Array, now = performance.now()): readonly DocId[] | undefined {
    const key = setIdKey(setId)
    const entry = this.#sets.get(key)
    if (entry === undefined) return undefined
    entry.lastUsed = now
    this.#sets.delete(key)
    this.#sets.set(key, entry)
    return entry.docs
  }

  /**
   * Remembers a set: `docs` must be the sorted, distinct documents whose
   * id is `setId` (the caller checked). A set larger than the byte bound
   * is not kept.
   */
  put(setId: Uint8Array, docs: readonly DocId[], now = performance.now()): void {
    const key = setIdKey(setId)
    const old = this.#sets.get(key)
    if (old !== undefined) {
      this.#sets.delete(key)
      this.#bytes -= old.bytes
    }
    let bytes = 16
    for (const docId of docs) bytes += docId.length + 8
    if (bytes > this.#maxBytes) return
    this.#sets.set(key, { docs, bytes, lastUsed: now })
    this.#bytes += bytes
    for (const [oldest, entry] of this.#sets) {
      if (this.#sets.size <= this.#maxSets && this.#bytes <= this.#maxBytes) break
      this.#sets.delete(oldest)
      this.#bytes -= entry.bytes
    }
  }

  /** Drops every set nobody named for the idle time (the oldest come first, so it stops at the first recent one). */
  sweep(now = performance.now()): void {
    for (const [key, entry] of this.#sets) {
      if (now - entry.lastUsed < this.#idleMs) break
      this.#sets.delete(key)
      this.#bytes -= entry.bytes
    }
  }
}
