/**
 * The seen-set that keeps presence (awareness) crossing the mesh once per
 * relay, in any topology: for every (document, awareness client id) the
 * newest clock this relay has passed on, and whether that entry was a
 * removal. An entry is new when y-protocols would apply it to a replica
 * that saw everything passed on so far: a higher clock, or the same clock
 * turning a state into a removal. The relay forwards to its peers, and
 * delivers to its clients, only entries that are new here, so an entry
 * that comes back around a cycle (or along two paths of a full mesh) stops
 * at the first relay that already passed it on.
 *
 * It also remembers whose a client id is: the user its latest state named.
 * A client's `null` state (leaving) for a client id whose latest state
 * named another user is not passed on ({@link AwarenessFilter.mayRemove}).
 *
 * In memory, bounded: the least recently updated entries are forgotten
 * past {@link AwarenessFilter} `max` (a forgotten entry coming around again
 * is passed on once more, then known again; presence is soft state).
 */
import { claimedUser } from '../awarenessCheck.js'
import { type AwarenessEntry, isRemoval } from '../awarenessEntries.js'

interface Seen {
  clock: number
  removed: boolean
  /** The user the latest state named (kept across a removal). */
  user: unknown
}

/** The seen-set of awareness entries (see the module comment). */
export class AwarenessFilter {
  readonly #seen = new Map<string, Seen>()
  readonly #max: number

  /** @param max entries remembered before the oldest are forgotten */
  constructor(max = 100_000) {
    this.#max = max
  }

  /** Entries remembered. */
  get size(): number {
    return this.#seen.size
  }

  /** False when the latest state of `clientId` in `docId` named another user than `userId`. */
  mayRemove(docId: string, clientId: number, userId: string): boolean {
    const user = this.#seen.get(`${docId} ${clientId}`)?.user
    return user === undefined || user === userId
  }

  /** Keeps the entries of `docId` that are new here, and notes them as seen. */
  fresh(docId: string, entries: readonly AwarenessEntry[]): AwarenessEntry[] {
    const kept: AwarenessEntry[] = []
    for (const entry of entries) {
      const key = `${docId} ${entry.clientId}`
      const seen = this.#seen.get(key)
      const removed = isRemoval(entry)
      const isNew =
        seen === undefined ||
        entry.clock > seen.clock ||
        (entry.clock === seen.clock && removed && !seen.removed)
      if (!isNew) continue
      this.#seen.delete(key)
      const user = removed ? seen?.user : claimedUser(entry.json)
      this.#seen.set(key, { clock: entry.clock, removed, user })
      kept.push(entry)
    }
    while (this.#seen.size > this.#max) {
      const oldest = this.#seen.keys().next()
      if (oldest.done === true) break
      this.#seen.delete(oldest.value)
    }
    return kept
  }
}
