/**
 * A {@link StorageAdapter} kept in memory: for tests, for Node processes that
 * need no persistence, and as the baseline of the storage benchmark. Bytes
 * are copied on the way in and on the way out, so a caller can never change
 * what is stored. A "restart" is simply reusing the same instance.
 */
import type { DocId } from '../docIds.js'
import type { OutboxEntry, StorageAdapter, StoredDoc } from './StorageAdapter.js'
import {
  checkDocId,
  checkString,
  checkThroughSeq,
  checkUpdate,
  closedError,
  validSeqs,
} from './storageArgs.js'

interface LogEntry {
  seq: number
  update: Uint8Array
}

/** A storage adapter in memory. */
export class MemoryStorage implements StorageAdapter {
  readonly #docs = new Map<DocId, LogEntry[]>()
  readonly #outbox = new Map<number, OutboxEntry>()
  readonly #meta = new Map<string, string>()
  #seq = 0
  #closed = false

  #check(): void {
    if (this.#closed) throw closedError('the memory storage')
  }

  /** {@inheritDoc StorageAdapter.load} */
  async load(docId: DocId): Promise<StoredDoc> {
    this.#check()
    checkDocId(docId)
    const log = this.#docs.get(docId) ?? []
    return {
      updates: log.map((e) => e.update.slice()),
      head: log.length === 0 ? 0 : log[log.length - 1]!.seq,
    }
  }

  /** {@inheritDoc StorageAdapter.append} */
  async append(docId: DocId, update: Uint8Array, toOutbox: boolean): Promise<number> {
    this.#check()
    checkDocId(docId)
    checkUpdate(update)
    const seq = ++this.#seq
    let log = this.#docs.get(docId)
    if (log === undefined) {
      log = []
      this.#docs.set(docId, log)
    }
    log.push({ seq, update: update.slice() })
    if (toOutbox) this.#outbox.set(seq, { seq, docId, update: update.slice() })
    return seq
  }

  /**
   * {@inheritDoc StorageAdapter.compact}
   *
   * The snapshot takes the sequence number of the newest update it replaces;
   * when no update is at or below `throughSeq`, nothing changes.
   */
  async compact(docId: DocId, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    this.#check()
    checkDocId(docId)
    checkUpdate(snapshot, 'a snapshot')
    checkThroughSeq(throughSeq)
    const log = this.#docs.get(docId)
    if (log === undefined) return
    const replaced = log.filter((e) => e.seq <= throughSeq)
    const last = replaced[replaced.length - 1]
    if (last === undefined) return
    const kept = log.filter((e) => e.seq > throughSeq)
    this.#docs.set(docId, [{ seq: last.seq, update: snapshot.slice() }, ...kept])
  }

  /** {@inheritDoc StorageAdapter.listDocs} */
  async listDocs(): Promise<DocId[]> {
    this.#check()
    return [...this.#docs.keys()].sort()
  }

  /** {@inheritDoc StorageAdapter.outbox} */
  async outbox(): Promise<OutboxEntry[]> {
    this.#check()
    return [...this.#outbox.values()].map((e) => ({ ...e, update: e.update.slice() }))
  }

  /** {@inheritDoc StorageAdapter.removeFromOutbox} */
  async removeFromOutbox(seqs: readonly number[]): Promise<void> {
    this.#check()
    for (const seq of validSeqs(seqs)) this.#outbox.delete(seq)
  }

  /** {@inheritDoc StorageAdapter.getMeta} */
  async getMeta(key: string): Promise<string | undefined> {
    this.#check()
    checkString(key, 'a metadata key')
    return this.#meta.get(key)
  }

  /** {@inheritDoc StorageAdapter.setMeta} */
  async setMeta(key: string, value: string): Promise<void> {
    this.#check()
    checkString(key, 'a metadata key')
    checkString(value, 'a metadata value')
    this.#meta.set(key, value)
  }

  /** {@inheritDoc StorageAdapter.close} */
  async close(): Promise<void> {
    this.#closed = true
  }
}
