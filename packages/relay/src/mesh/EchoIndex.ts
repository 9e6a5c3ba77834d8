/**
 * Which documents a peer would only get its own changes back from: the
 * echo filter of `CHANGES` answers.
 *
 * Every change a relay stores from a peer also becomes a change in the
 * relay's own sequence, so without a filter the peer's next catch-up round
 * would list that document again and exchange state vectors for nothing
 * (healing would cost twice what changed). The index keeps, per document,
 * the latest run of consecutive changes that all came from one peer: the
 * sequence before the run (`before`) and its last change (`last`). A
 * document may be left out of an answer to that peer asking from sequence
 * `since` exactly when its latest change is `last` and `before <= since`:
 * every change after `since` came from the peer itself, which stored each
 * one durably before sending it.
 *
 * In memory only (empty after a restart: nothing is left out until new
 * runs are seen), bounded (cleared when full: again, nothing left out),
 * and forgotten for a peer whose epoch changed (a peer restored from a
 * backup may have lost what it sent; it must get it back).
 */

interface Run {
  peer: string
  before: number
  last: number
}

/** The echo filter (see the module comment). */
export class EchoIndex {
  readonly #runs = new Map<string, Run>()
  readonly #max: number

  /** @param max most documents tracked before the index starts over */
  constructor(max = 200_000) {
    this.#max = max
  }

  /** Number of documents tracked. */
  get size(): number {
    return this.#runs.size
  }

  /**
   * Records a stored change of `docId` with sequence `seq`, whose previous
   * change was `previousSeq`, from `peer` (undefined: not from a peer).
   */
  record(docId: string, seq: number, previousSeq: number, peer: string | undefined): void {
    if (peer === undefined) {
      this.#runs.delete(docId)
      return
    }
    const run = this.#runs.get(docId)
    if (run !== undefined && run.peer === peer && run.last === previousSeq) {
      run.last = seq
      return
    }
    if (run === undefined && this.#runs.size >= this.#max) this.#runs.clear()
    this.#runs.set(docId, { peer, before: previousSeq, last: seq })
  }

  /** True when every change of `docId` after `since`, up to its latest `seq`, came from `peer`. */
  isEcho(peer: string, docId: string, seq: number, since: number): boolean {
    const run = this.#runs.get(docId)
    return run !== undefined && run.peer === peer && run.last === seq && run.before <= since
  }

  /** Forgets every run of `peer`. */
  forget(peer: string): void {
    for (const [docId, run] of this.#runs) if (run.peer === peer) this.#runs.delete(docId)
  }
}
