/**
 * One document held in memory by the relay, in one of two forms:
 *
 * - cold: its whole state as one merged Yjs update (plus its state vector,
 *   computed once). Reads are answered from the encoded state
 *   (`Y.diffUpdate`), without a Y.Doc: a document that is only read costs
 *   about its encoded size;
 * - hot: a Y.Doc replica (without garbage collection, like every relay
 *   replica), which the guard needs to check a write and which a write is
 *   applied to. {@link LoadedDoc.replica} builds it from the encoded state
 *   on the first write; {@link LoadedDoc.cool} encodes it back and drops it
 *   once the document has been write-idle for a while (the registry's
 *   sweep).
 *
 * Both forms hold the same content: a read gives the same answer whichever
 * form the document is in.
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

/** The encoded state of an empty document (no structs, empty delete set). */
const EMPTY_STATE = new Uint8Array([0, 0])
/** The state vector of an empty document. */
const EMPTY_STATE_VECTOR = new Uint8Array([0])
/** A settled promise every document starts its queues from. */
const SETTLED: Promise<void> = Promise.resolve()

/** Told when a document changes form (true: it became hot). */
export type FormListener = (hot: boolean) => void

/** A document loaded in memory (see the module comment). */
export class LoadedDoc {
  /** The document id. */
  readonly docId: DocId
  /** Sequence number of the document's latest durable change (0: none). */
  seq: number
  /** Operations in progress that need the document loaded. */
  pins = 0
  /** Writes applied in memory whose commit has not settled yet. */
  pendingWrites = 0
  /** When the document was last used (performance.now()). */
  lastUsed = performance.now()
  /** When a write last needed the replica (performance.now()). */
  lastWrite = 0
  /** For a `u/` document: the owner's block list, computed on demand, reset on every change. */
  blockList: Set<string> | undefined
  #replica: Y.Doc | undefined
  /** The encoded state while cold. */
  #state: Uint8Array | undefined
  /** The state vector while cold, computed on first use. */
  #stateVector: Uint8Array | undefined
  /** While cold: the answer to an asker holding every item, computed on first use. */
  #caughtUp: Uint8Array | undefined
  readonly #onForm: FormListener | undefined
  #queue: Promise<void> = SETTLED
  #committed: Promise<void> = SETTLED

  /**
   * A cold document.
   *
   * @param docId the document
   * @param updates its stored log, oldest first
   * @param seq sequence number of its latest stored change
   * @param onForm told whenever it becomes hot or cold
   */
  constructor(docId: DocId, updates: readonly Uint8Array[], seq: number, onForm?: FormListener) {
    this.docId = docId
    this.#state = LoadedDoc.merge(updates)
    this.seq = seq
    this.#onForm = onForm
  }

  /** One update holding every update of `updates` (the log as it is stored, merged). */
  static merge(updates: readonly Uint8Array[]): Uint8Array {
    if (updates.length === 0) return EMPTY_STATE
    if (updates.length === 1) return updates[0]!
    return Y.mergeUpdates(updates as Uint8Array[])
  }

  /** A Y.Doc (without garbage collection, like every relay replica) holding `updates`. */
  static build(updates: readonly Uint8Array[]): Y.Doc {
    const doc = new Y.Doc({ gc: false })
    doc.transact(() => {
      for (const update of updates) Y.applyUpdate(doc, update)
    })
    return doc
  }

  /** True while the document has a Y.Doc replica. */
  get hot(): boolean {
    return this.#replica !== undefined
  }

  /**
   * The Y.Doc replica, built from the encoded state when the document is
   * cold (it becomes hot). For the write path: reads use
   * {@link LoadedDoc.stateVector} and {@link LoadedDoc.diff}.
   */
  replica(): Y.Doc {
    this.lastWrite = performance.now()
    if (this.#replica !== undefined) return this.#replica
    const doc = LoadedDoc.build([this.#state ?? EMPTY_STATE])
    this.#replica = doc
    this.#state = undefined
    this.#stateVector = undefined
    this.#caughtUp = undefined
    this.#onForm?.(true)
    return doc
  }

  /**
   * Runs `read` on a Y.Doc holding the document: the replica when hot,
   * otherwise a temporary one that is dropped afterwards (the document
   * stays cold). `read` must not keep the Y.Doc.
   */
  inspect<T>(read: (doc: Y.Doc) => T): T {
    if (this.#replica !== undefined) return read(this.#replica)
    const doc = LoadedDoc.build([this.#state ?? EMPTY_STATE])
    try {
      return read(doc)
    } finally {
      doc.destroy()
    }
  }

  /**
   * The document's state vector. When cold it is read from the encoded
   * state, so it also counts items held that wait for a missing part (they
   * are sent all the same); it never counts an item that is not held.
   */
  stateVector(): Uint8Array {
    if (this.#replica !== undefined) return Y.encodeStateVector(this.#replica)
    if (this.#stateVector === undefined) {
      const state = this.#state ?? EMPTY_STATE
      this.#stateVector =
        state === EMPTY_STATE ? EMPTY_STATE_VECTOR : Y.encodeStateVectorFromUpdate(state)
    }
    return this.#stateVector
  }

  /**
   * What a holder of `stateVector` lacks, as one update (every item after
   * its clocks, and the whole delete set); the whole state without one.
   * Throws when `stateVector` does not decode.
   */
  diff(stateVector?: Uint8Array): Uint8Array {
    const theirs =
      stateVector === undefined || stateVector.length === 0
        ? undefined
        : Y.decodeStateVector(stateVector)
    if (this.#replica !== undefined) {
      return Y.encodeStateAsUpdate(this.#replica, theirs === undefined ? undefined : stateVector)
    }
    const state = this.#state ?? EMPTY_STATE
    if (theirs === undefined) return state
    const mine = Y.decodeStateVector(this.stateVector())
    if (!holdsAnyOf(theirs, mine)) return state
    if (holdsAllOf(theirs, mine)) {
      // the usual re-read: nothing new but the delete set (and any items
      // waiting for a missing part), the same for every asker
      this.#caughtUp ??= Y.diffUpdate(state, this.stateVector())
      return this.#caughtUp
    }
    return Y.diffUpdate(state, stateVector!)
  }

  /**
   * Encodes the replica back into the cold form and drops it; false when
   * the document is cold already. The caller makes sure no write is in
   * progress (the document is idle).
   */
  cool(): boolean {
    const doc = this.#replica
    if (doc === undefined) return false
    this.#state = Y.encodeStateAsUpdate(doc)
    this.#stateVector = Y.encodeStateVector(doc)
    this.#replica = undefined
    doc.destroy()
    this.#onForm?.(false)
    return true
  }

  /** Replaces the content with the stored log `updates` up to `seq` (cold). */
  reset(updates: readonly Uint8Array[], seq: number): void {
    const doc = this.#replica
    this.#state = LoadedDoc.merge(updates)
    this.#stateVector = undefined
    this.#caughtUp = undefined
    this.#replica = undefined
    this.seq = seq
    this.blockList = undefined
    if (doc !== undefined) {
      doc.destroy()
      this.#onForm?.(false)
    }
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

  /** Releases the replica and the encoded state. */
  destroy(): void {
    const doc = this.#replica
    this.#replica = undefined
    this.#state = undefined
    this.#stateVector = undefined
    this.#caughtUp = undefined
    if (doc !== undefined) {
      doc.destroy()
      this.#onForm?.(false)
    }
  }
}

/** True when `theirs` holds at least one item of a document whose state vector is `mine`. */
function holdsAnyOf(theirs: Map<number, number>, mine: Map<number, number>): boolean {
  for (const [client, clock] of mine) {
    if (clock > 0 && (theirs.get(client) ?? 0) > 0) return true
  }
  return false
}

/** True when `theirs` holds every item counted by the state vector `mine`. */
function holdsAllOf(theirs: Map<number, number>, mine: Map<number, number>): boolean {
  for (const [client, clock] of mine) {
    if ((theirs.get(client) ?? 0) < clock) return false
  }
  return true
}
