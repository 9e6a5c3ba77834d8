/**
 * One document held in memory by the relay: its Y.Doc built from the
 * stored log, the serial queue its writes run through, and the promise of
 * its pending commits.
 *
 * Writes run one at a time through {@link LoadedDoc.enqueue} (the guard
 * must see every earlier write applied). A write is applied in memory at
 * once and committed by the store in the background, so writes close
 * together share one group commit; {@link LoadedDoc.committed} resolves
 * once every write applied so far is durable, which is what a reader waits
 * for before it sends the document's state anywhere.
 */
import type { DocId } from '@feedmesh/core'
import * as Y from 'yjs'

/** A document loaded in memory (see the module comment). */
export class LoadedDoc {
  /** The document id. */
  readonly docId: DocId
  /** The replica; replaced when it must be rebuilt from the store after a failed commit. */
  doc: Y.Doc
  /** Sequence number of the document's latest durable change (0: none). */
  seq: number
  /** Operations in progress that need the document loaded. */
  pins = 0
  /** Writes applied in memory whose commit has not settled yet. */
  pendingWrites = 0
  /** When the document was last used (performance.now()). */
  lastUsed = performance.now()
  /** For a `u/` document: the owner's block list, computed on demand, reset on every change. */
  blockList: Set<string> | undefined
  #queue: Promise<void> = Promise.resolve()
  #committed: Promise<void> = Promise.resolve()

  /**
   * @param docId the document
   * @param updates its stored log, oldest first
   * @param seq sequence number of its latest stored change
   */
  constructor(docId: DocId, updates: readonly Uint8Array[], seq: number) {
    this.docId = docId
    this.doc = LoadedDoc.build(updates)
    this.seq = seq
  }

  /** A Y.Doc (without garbage collection, like every relay replica) holding `updates`. */
  static build(updates: readonly Uint8Array[]): Y.Doc {
    const doc = new Y.Doc({ gc: false })
    doc.transact(() => {
      for (const update of updates) Y.applyUpdate(doc, update)
    })
    return doc
  }

  /** Runs `task` after every task enqueued before it; failures stay with the returned promise. */
  enqueue<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.#queue.then(task)
    this.#queue = result.then(
      () => {},
      () => {},
    )
    return result
  }

  /** Chains `step` after every commit step registered before it (keeps forwards in commit order). */
  afterCommits(step: () => Promise<void>): void {
    this.#committed = this.#committed.then(step).catch(() => {})
  }

  /** Resolves once every write applied so far has settled (committed or failed). */
  committed(): Promise<void> {
    return this.#committed
  }

  /** True when nothing keeps the document in memory but its subscribers. */
  get idle(): boolean {
    return this.pins === 0 && this.pendingWrites === 0
  }

  /** Releases the replica. */
  destroy(): void {
    this.doc.destroy()
  }
}
