/**
 * The storage seam of the client: where a device keeps its replicas and its
 * outbox. Every implementation lives in its own file and passes the shared
 * contract suite (`test/storageContract.ts`).
 *
 * A document is stored as a log of Yjs updates, each with a sequence number
 * that is unique and increasing across the whole store. Compaction replaces
 * a prefix of a document's log by one snapshot. The outbox holds the local
 * updates that no relay has acknowledged yet; appending an update to a
 * document and to the outbox happens atomically, so a crash never leaves a
 * local write stored but unsent, or sent but not stored.
 */
import type { DocId } from '../docIds.js'

/** A document's stored log. */
export interface StoredDoc {
  /** The updates, oldest first (a snapshot, when compacted, comes first). */
  updates: Uint8Array[]
  /** Sequence number of the newest update, or 0 when the document is empty. */
  head: number
}

/** A local update waiting for a relay's durable acknowledgement. */
export interface OutboxEntry {
  /** Store-wide sequence number; removal is by this number. */
  seq: number
  /** The document the update belongs to. */
  docId: DocId
  /** The Yjs update. */
  update: Uint8Array
}

/** Where a client keeps documents, the outbox and small metadata. */
export interface StorageAdapter {
  /** Loads a document's log; an unknown document is an empty log, not an error. */
  load(docId: DocId): Promise<StoredDoc>
  /**
   * Appends an update to a document's log and, when `toOutbox` is true, to
   * the outbox, in one atomic step. Resolves with the update's sequence
   * number once it is durable.
   */
  append(docId: DocId, update: Uint8Array, toOutbox: boolean): Promise<number>
  /**
   * Replaces every update of `docId` with a sequence number up to
   * `throughSeq` by `snapshot` (which must contain them all). The snapshot
   * takes the sequence number of the newest update it replaces, so `head`
   * does not change; updates appended after `throughSeq` stay. Nothing
   * happens when no update is at or below `throughSeq`.
   */
  compact(docId: DocId, snapshot: Uint8Array, throughSeq: number): Promise<void>
  /** Ids of every stored document. */
  listDocs(): Promise<DocId[]>
  /** The outbox, oldest first. */
  outbox(): Promise<OutboxEntry[]>
  /** Removes acknowledged entries from the outbox; unknown numbers are ignored. */
  removeFromOutbox(seqs: readonly number[]): Promise<void>
  /** Reads a small metadata value (e.g. a relay's last sequence). */
  getMeta(key: string): Promise<string | undefined>
  /** Writes a small metadata value. */
  setMeta(key: string, value: string): Promise<void>
  /** Releases the store; later calls reject with code `closed`. */
  close(): Promise<void>
}
