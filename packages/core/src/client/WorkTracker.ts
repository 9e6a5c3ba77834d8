/**
 * Keeps count of a component's asynchronous work in flight (document
 * loads, signature verification, storage appends, outbox bookkeeping), so
 * the client can tell when it is settled: nothing pending that could still
 * change a view, the outbox or storage.
 */

/** A set of promises in flight; {@link WorkTracker.idle} waits until it is empty. */
export class WorkTracker {
  readonly #work = new Set<Promise<unknown>>()

  /** True while some tracked work has not finished. */
  get busy(): boolean {
    return this.#work.size > 0
  }

  /** Tracks `work` until it settles (fulfilled or rejected); returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#work.add(work)
    const done = () => {
      this.#work.delete(work)
    }
    work.then(done, done)
    return work
  }

  /** Resolves once no tracked work is left, including work started while waiting. */
  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work])
  }
}
