/**
 * A {@link StorageAdapter} on IndexedDB: the browser's storage. ONE database
 * holds every document (y-indexeddb opens one database per document, which
 * makes opening a timeline of a thousand small documents a thousand database
 * opens). Layout, version 1:
 *
 * | store     | key                        | value                        |
 * | --------- | -------------------------- | ---------------------------- |
 * | `updates` | `seq` (auto-increment)     | `{ seq, docId, update }`, index `docId` |
 * | `outbox`  | `seq`                      | `{ seq, docId, update }`     |
 * | `meta`    | the key string             | the value string             |
 *
 * The auto-increment key generator of `updates` is the store-wide sequence
 * counter: it only grows, also when updates are deleted by compaction.
 * Loading a document is one `getAll` on the `docId` index (records come out
 * ordered by sequence number); loads and appends issued in the same tick
 * share one transaction. An append writes the update and its outbox entry
 * in one readwrite transaction with strict durability and resolves when that
 * transaction commits. Anything unreadable on disk is reported as a
 * `storage` error, never returned as data.
 */
import type { DocId } from '../docIds.js'
import { FeedmeshError } from '../errors.js'
import { asBytes, openDatabase, storageError, transactionDone } from './idbRequests.js'
import type { OutboxEntry, StorageAdapter, StoredDoc } from './StorageAdapter.js'
import {
  checkDocId,
  checkString,
  checkThroughSeq,
  checkUpdate,
  closedError,
  validSeqs,
} from './storageArgs.js'

/** The schema version of the database. */
const DbVersion = 1

/** Object store names. */
const Stores = {
  Updates: 'updates',
  Outbox: 'outbox',
  Meta: 'meta',
} as const

/** Name of the index of `updates` by document id. */
const ByDoc = 'docId'

/** Options of {@link IndexedDbStorage.open}. */
export interface IndexedDbStorageOptions {
  /** The IndexedDB factory; defaults to the global `indexedDB` (pass fake-indexeddb's in Node). */
  indexedDB?: IDBFactory
}

interface Pending<T> {
  resolve(value: T): void
  reject(err: unknown): void
}

interface PendingLoad extends Pending<StoredDoc> {
  docId: DocId
}

interface PendingAppend extends Pending<number> {
  docId: DocId
  update: Uint8Array
  toOutbox: boolean
}

/** A stored row of `updates` or `outbox`, as written. */
interface Row {
  seq?: number
  docId: DocId
  update: Uint8Array
}

function upgrade(db: IDBDatabase, _tx: IDBTransaction, oldVersion: number): void {
  if (oldVersion < 1) {
    const updates = db.createObjectStore(Stores.Updates, { keyPath: 'seq', autoIncrement: true })
    updates.createIndex(ByDoc, 'docId')
    db.createObjectStore(Stores.Outbox, { keyPath: 'seq' })
    db.createObjectStore(Stores.Meta)
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** Checks one stored row; throws `storage` naming `where` when it is damaged. */
function decodeRow(row: unknown, where: string): { seq: number; docId: DocId; update: Uint8Array } {
  const bytes = isRecord(row) ? asBytes(row.update) : null
  if (
    !isRecord(row) ||
    bytes === null ||
    typeof row.seq !== 'number' ||
    !Number.isSafeInteger(row.seq) ||
    row.seq <= 0 ||
    typeof row.docId !== 'string'
  ) {
    throw storageError(`a stored entry of ${where} is damaged`)
  }
  return { seq: row.seq, docId: row.docId, update: bytes }
}

function decodeLog(docId: DocId, rows: unknown): StoredDoc {
  if (!Array.isArray(rows)) throw storageError(`the log of "${docId}" is unreadable`)
  const updates: Uint8Array[] = []
  let head = 0
  for (const raw of rows) {
    const row = decodeRow(raw, `"${docId}"`)
    if (row.docId !== docId || row.seq <= head) {
      throw storageError(`the log of "${docId}" is out of order or misfiled`)
    }
    updates.push(row.update)
    head = row.seq
  }
  return { updates, head }
}

function decodeOutbox(rows: unknown): OutboxEntry[] {
  if (!Array.isArray(rows)) throw storageError('the outbox is unreadable')
  return rows.map((raw) => decodeRow(raw, 'the outbox'))
}

/** A storage adapter on one IndexedDB database. */
export class IndexedDbStorage implements StorageAdapter {
  /** The database name. */
  readonly name: string
  readonly #db: IDBDatabase
  #closed = false
  #closedWhy = ''
  #loads: PendingLoad[] = []
  #appends: PendingAppend[] = []
  readonly #inFlight = new Set<Promise<unknown>>()

  private constructor(db: IDBDatabase, name: string) {
    this.#db = db
    this.name = name
    db.onversionchange = () => {
      this.#markClosed(' (another connection upgraded or deleted the database)')
      db.close()
    }
    db.onclose = () => this.#markClosed(' (the browser closed the database)')
  }

  /**
   * Opens (creating or upgrading when needed) database `name`. Rejects with
   * `storage` when IndexedDB is missing or the database cannot be opened or
   * is not a feedmesh store.
   */
  static async open(
    name = 'feedmesh',
    options: IndexedDbStorageOptions = {},
  ): Promise<IndexedDbStorage> {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
    if (factory === undefined) {
      throw storageError('IndexedDB is not available here; pass options.indexedDB')
    }
    const db = await openDatabase(factory, name, DbVersion, upgrade)
    const stores = Object.values(Stores)
    let ok = stores.every((s) => db.objectStoreNames.contains(s))
    if (ok) {
      const tx = db.transaction(Stores.Updates, 'readonly')
      ok = tx.objectStore(Stores.Updates).indexNames.contains(ByDoc)
    }
    if (!ok) {
      db.close()
      throw storageError(`IndexedDB database "${name}" exists but is not a feedmesh store`)
    }
    return new IndexedDbStorage(db, name)
  }

  #markClosed(why: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#closedWhy = why
  }

  #check(): void {
    if (this.#closed) throw closedError(`the IndexedDB storage "${this.name}"${this.#closedWhy}`)
  }

  /** Starts a transaction; a connection closed underneath becomes `closed`. */
  #transaction(
    stores: string[],
    mode: IDBTransactionMode,
    durability: IDBTransactionDurability = 'default',
  ): IDBTransaction {
    try {
      return this.#db.transaction(stores, mode, { durability })
    } catch (err) {
      if (err instanceof Error && err.name === 'InvalidStateError') {
        this.#markClosed(' (the connection was closed)')
        throw closedError(`the IndexedDB storage "${this.name}"${this.#closedWhy}`)
      }
      throw storageError('cannot start an IndexedDB transaction', err)
    }
  }

  /** Remembers `work` until it settles, so that {@link close} can wait for it. */
  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work)
    const forget = () => this.#inFlight.delete(work)
    work.then(forget, forget)
    return work
  }

  /**
   * Runs one transaction: `body` issues requests and returns a function that
   * computes the result once the transaction committed.
   */
  #run<T>(
    stores: string[],
    mode: IDBTransactionMode,
    what: string,
    body: (tx: IDBTransaction) => () => T,
  ): Promise<T> {
    return this.#track(
      (async () => {
        const tx = this.#transaction(stores, mode)
        const done = transactionDone(tx, what)
        let result: () => T
        try {
          result = body(tx)
        } catch (err) {
          tx.abort()
          await done.catch(() => undefined)
          throw err instanceof FeedmeshError ? err : storageError(`${what} failed`, err)
        }
        await done
        return result()
      })(),
    )
  }

  /** {@inheritDoc StorageAdapter.load} */
  load(docId: DocId): Promise<StoredDoc> {
    try {
      this.#check()
      checkDocId(docId)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise((resolve, reject) => {
      this.#loads.push({ docId, resolve, reject })
      if (this.#loads.length === 1) queueMicrotask(() => this.#flushLoads())
    })
  }

  #flushLoads(): void {
    const batch = this.#loads
    this.#loads = []
    if (batch.length === 0) return
    let tx: IDBTransaction
    try {
      tx = this.#transaction([Stores.Updates], 'readonly')
    } catch (err) {
      for (const p of batch) p.reject(err)
      return
    }
    const index = tx.objectStore(Stores.Updates).index(ByDoc)
    const results: unknown[] = []
    batch.forEach((p, i) => {
      const request = index.getAll(p.docId)
      request.onsuccess = () => {
        results[i] = request.result
      }
    })
    this.#track(
      transactionDone(tx, 'loading documents').then(
        () => {
          batch.forEach((p, i) => {
            try {
              p.resolve(decodeLog(p.docId, results[i]))
            } catch (err) {
              p.reject(err)
            }
          })
        },
        (err: unknown) => {
          for (const p of batch) p.reject(err)
        },
      ),
    )
  }

  /**
   * {@inheritDoc StorageAdapter.append}
   *
   * Appends issued in the same tick are committed together in one
   * transaction (group commit): each is atomic with its outbox entry, and if
   * the transaction fails they all reject with `storage`.
   */
  append(docId: DocId, update: Uint8Array, toOutbox: boolean): Promise<number> {
    try {
      this.#check()
      checkDocId(docId)
      checkUpdate(update)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise((resolve, reject) => {
      this.#appends.push({ docId, update: update.slice(), toOutbox, resolve, reject })
      if (this.#appends.length === 1) queueMicrotask(() => this.#flushAppends())
    })
  }

  #flushAppends(): void {
    const batch = this.#appends
    this.#appends = []
    if (batch.length === 0) return
    let tx: IDBTransaction
    try {
      tx = this.#transaction([Stores.Updates, Stores.Outbox], 'readwrite', 'strict')
    } catch (err) {
      for (const p of batch) p.reject(err)
      return
    }
    const updates = tx.objectStore(Stores.Updates)
    const outbox = tx.objectStore(Stores.Outbox)
    const seqs: number[] = []
    batch.forEach((p, i) => {
      const row: Row = { docId: p.docId, update: p.update }
      const request = updates.add(row)
      request.onsuccess = () => {
        const seq = request.result as number
        seqs[i] = seq
        if (p.toOutbox) outbox.add({ seq, docId: p.docId, update: p.update } satisfies Row)
      }
    })
    this.#track(
      transactionDone(tx, 'appending updates').then(
        () => {
          batch.forEach((p, i) => {
            const seq = seqs[i]
            if (seq === undefined) p.reject(storageError('an append got no sequence number'))
            else p.resolve(seq)
          })
        },
        (err: unknown) => {
          for (const p of batch) p.reject(err)
        },
      ),
    )
  }

  /**
   * {@inheritDoc StorageAdapter.compact}
   *
   * One transaction: the snapshot takes the sequence number of the newest
   * update it replaces, the older ones are deleted. When no update is at or
   * below `throughSeq`, nothing changes.
   */
  async compact(docId: DocId, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    this.#check()
    checkDocId(docId)
    checkUpdate(snapshot, 'a snapshot')
    checkThroughSeq(throughSeq)
    const copy = snapshot.slice()
    let damaged = false
    await this.#run([Stores.Updates], 'readwrite', `compacting "${docId}"`, (tx) => {
      const store = tx.objectStore(Stores.Updates)
      const request = store.index(ByDoc).getAllKeys(docId)
      request.onsuccess = () => {
        const keys = request.result
        if (!keys.every((k) => typeof k === 'number' && Number.isSafeInteger(k) && k > 0)) {
          damaged = true
          tx.abort()
          return
        }
        const replaced = (keys as number[]).filter((k) => k <= throughSeq)
        const last = replaced.pop()
        if (last === undefined) return
        for (const k of replaced) store.delete(k)
        store.put({ seq: last, docId, update: copy } satisfies Row)
      }
      return () => undefined
    }).catch((err: unknown) => {
      if (damaged) throw storageError(`the log of "${docId}" is damaged`)
      throw err
    })
  }

  /** {@inheritDoc StorageAdapter.listDocs} */
  async listDocs(): Promise<DocId[]> {
    this.#check()
    const keys: unknown[] = []
    await this.#run([Stores.Updates], 'readonly', 'listing documents', (tx) => {
      const request = tx.objectStore(Stores.Updates).index(ByDoc).openKeyCursor(null, 'nextunique')
      request.onsuccess = () => {
        const cursor = request.result
        if (cursor === null) return
        keys.push(cursor.key)
        cursor.continue()
      }
      return () => undefined
    })
    if (!keys.every((k): k is string => typeof k === 'string')) {
      throw storageError('a stored document id is damaged')
    }
    return keys
  }

  /** {@inheritDoc StorageAdapter.outbox} */
  async outbox(): Promise<OutboxEntry[]> {
    this.#check()
    return this.#run([Stores.Outbox], 'readonly', 'reading the outbox', (tx) => {
      const request = tx.objectStore(Stores.Outbox).getAll()
      return () => decodeOutbox(request.result)
    })
  }

  /** {@inheritDoc StorageAdapter.removeFromOutbox} */
  async removeFromOutbox(seqs: readonly number[]): Promise<void> {
    this.#check()
    const valid = validSeqs(seqs)
    if (valid.length === 0) return
    await this.#run([Stores.Outbox], 'readwrite', 'removing from the outbox', (tx) => {
      const store = tx.objectStore(Stores.Outbox)
      for (const seq of valid) store.delete(seq)
      return () => undefined
    })
  }

  /** {@inheritDoc StorageAdapter.getMeta} */
  async getMeta(key: string): Promise<string | undefined> {
    this.#check()
    checkString(key, 'a metadata key')
    const value = await this.#run([Stores.Meta], 'readonly', 'reading metadata', (tx) => {
      const request = tx.objectStore(Stores.Meta).get(key)
      return (): unknown => request.result
    })
    if (value !== undefined && typeof value !== 'string') {
      throw storageError(`the stored metadata value of "${key}" is damaged`)
    }
    return value
  }

  /** {@inheritDoc StorageAdapter.setMeta} */
  async setMeta(key: string, value: string): Promise<void> {
    this.#check()
    checkString(key, 'a metadata key')
    checkString(value, 'a metadata value')
    await this.#run([Stores.Meta], 'readwrite', 'writing metadata', (tx) => {
      tx.objectStore(Stores.Meta).put(value, key)
      return () => undefined
    })
  }

  /**
   * {@inheritDoc StorageAdapter.close}
   *
   * Calls made before `close` still complete; `close` resolves once they
   * have, then closes the connection.
   */
  async close(): Promise<void> {
    if (this.#closed && this.#inFlight.size === 0) {
      this.#db.close()
      return
    }
    this.#markClosed('')
    this.#flushLoads()
    this.#flushAppends()
    await Promise.allSettled([...this.#inFlight])
    this.#db.close()
  }
}
