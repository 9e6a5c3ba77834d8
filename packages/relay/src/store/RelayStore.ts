/**
 * The storage seam of the relay: where it keeps every document as a log of
 * Yjs updates, the change sequence the mesh and resumable catch-up run on,
 * and the per-peer cursors of the mesh. Every implementation lives in its own
 * file and passes the shared contract suite (`test/storeContract.ts`).
 *
 * Sequence numbers. Every stored change gets a local sequence number,
 * unique and increasing across the whole store (not per document), starting
 * at 1. A document's `seq` is the number of its latest change. Together with
 * the store's {@link RelayStore.epoch} it forms a cursor `{ epoch, seq }`:
 * "I have seen every change of this store up to `seq`". Compaction rewrites
 * a document's log but keeps its `seq`, so it is not a change.
 *
 * Durability. {@link RelayStore.append} resolves only once the update is
 * durably committed; the relay acknowledges and forwards an update only
 * after that. Appends issued close together are committed together (group
 * commit); a failed commit rejects every append in it and stores none.
 *
 * Epoch. A random id created with the data and kept with it. A store opened
 * from data that lost acknowledged changes (restored from an older backup)
 * starts a new epoch, so every peer cursor taken against the old one is
 * recognisably stale and the links reconcile fully instead of trusting a
 * sequence that now names different changes. Each implementation documents
 * how it detects that.
 */

/** A document's stored log. */
export interface StoredLog {
  /** The updates, oldest first (the snapshot, when compacted, comes first). Empty for an unknown document. */
  updates: Uint8Array[]
  /** Sequence number of the document's latest change, or 0 for an unknown document. */
  seq: number
}

/** One changed document in a {@link ChangePage}. */
export interface DocChange {
  /** The document. */
  docId: string
  /** Sequence number of its latest change. */
  seq: number
}

/** An answer of {@link RelayStore.changesSince}. */
export interface ChangePage {
  /** Documents whose latest change is after the asked sequence, by increasing `seq`, at most `limit`. */
  changes: DocChange[]
  /** The store's latest sequence number when the page was read. */
  head: number
  /** True when more documents changed after the last one of this page: ask again from its `seq`. */
  more: boolean
}

/** How far a relay has received the changes of one peer, in the peer's own numbering. */
export interface PeerCursor {
  /** The peer's epoch the sequence belongs to. */
  epoch: string
  /** The peer's last sequence number received and stored here. */
  seq: number
}

/** Size of a store, for metrics. */
export interface StoreStats {
  /** Documents with at least one stored update. */
  documents: number
  /** Stored updates (a snapshot counts as one). */
  updates: number
  /** Total size of the stored updates, in bytes (not the size of the files). */
  bytes: number
}

/** Where a relay keeps documents, their change sequence and its peer cursors. */
export interface RelayStore {
  /** This store's instance epoch (see the module comment); constant while the store is open. */
  readonly epoch: string
  /**
   * Loads a document's log; an unknown document is an empty log with seq 0.
   * Rejects with `corrupt` (naming the document) when a stored row cannot be
   * read; other documents stay readable.
   */
  load(docId: string): Promise<StoredLog>
  /**
   * Appends an update to a document's log. Resolves with the change's
   * sequence number once the update is durably committed; rejects (and
   * stores nothing of its group commit) when the commit fails.
   */
  append(docId: string, update: Uint8Array): Promise<number>
  /**
   * The documents whose latest change is after `seq`, oldest change first,
   * at most `limit` of them. The cost follows the number of changed
   * documents, not the number stored. A `seq` above `head` means the caller's
   * cursor is from data this store no longer has: compare with `head`.
   */
  changesSince(seq: number, limit: number): Promise<ChangePage>
  /**
   * The stored updates of a document whose sequence number is above `seq`,
   * oldest first: what a subscriber that held the document up to `seq`
   * misses. After a compaction the snapshot (which carries the sequence of
   * the newest update it merged) stands for every update it replaced.
   */
  updatesSince(docId: string, seq: number): Promise<Uint8Array[]>
  /** The latest sequence number given out (0 for an empty store). */
  head(): Promise<number>
  /**
   * Merges the document's log into one snapshot that keeps the document's
   * `seq`. Appends that commit while it runs are kept after the snapshot.
   * Resolves with false when there was nothing to merge (0 or 1 update).
   */
  compact(docId: string): Promise<boolean>
  /** True when the document's log is long enough that compacting it is worth it. */
  needsCompaction(docId: string): Promise<boolean>
  /** The stored cursor of a peer, or undefined for a peer never seen. */
  getPeerCursor(peerId: string): Promise<PeerCursor | undefined>
  /**
   * Durably stores a peer's cursor. It commits after every append issued
   * before it, so a cursor never covers updates that are not stored.
   */
  setPeerCursor(peerId: string, cursor: PeerCursor): Promise<void>
  /** Counts of documents, updates and bytes. */
  stats(): Promise<StoreStats>
  /** Commits what is pending and releases the store; later calls reject with `closed`. Idempotent. */
  close(): Promise<void>
}
