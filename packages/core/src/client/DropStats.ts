/**
 * Counts of records a reader dropped, by reason. Each bad entry (document,
 * key and Yjs item) is counted once, however often its document is read.
 */

/** Why a record was dropped, as a const object; {@link DropReason} is the union. */
export const DropReasons = {
  /** The key or the value fails its schema. */
  Schema: 'schema',
  /** The record does not match its key (author, id, rev, client). */
  Key: 'key',
  /** The record names another document. */
  Doc: 'doc',
  /** The record's `yid` is not the Yjs item it is stored under. */
  ItemId: 'item-id',
  /** The author may not write this record type or id in this document. */
  Permission: 'permission',
  /** The signature does not verify. */
  Signature: 'signature',
} as const

/** One of {@link DropReasons}. */
export type DropReason = (typeof DropReasons)[keyof typeof DropReasons]

/** Dropped-record counters shared by every reader of a client. */
export class DropStats {
  /** Dropped records by reason. */
  readonly byReason: Record<DropReason, number> = {
    schema: 0,
    key: 0,
    doc: 0,
    'item-id': 0,
    permission: 0,
    signature: 0,
  }
  /** Total dropped records. */
  total = 0
  readonly #seen = new Set<string>()

  /** Counts a dropped entry once; `tag` identifies it (document, key, item). */
  drop(tag: string, reason: DropReason): void {
    if (this.#seen.has(tag)) return
    this.#seen.add(tag)
    this.byReason[reason]++
    this.total++
  }
}
