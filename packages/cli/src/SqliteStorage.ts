/**
 * A {@link StorageAdapter} in one SQLite file (better-sqlite3), the local
 * store of the `feedmesh` CLI: replicas, the outbox and small metadata of a
 * device live in `<data>/feedmesh.sqlite`.
 *
 * Tables:
 * - `updates (seq, doc, data)`: every document's log; `seq` is
 *   `AUTOINCREMENT`, so numbers increase across the whole store and are
 *   never reused, also after compaction deleted rows;
 * - `outbox (seq, doc, data)`: a copy of each local update until a relay
 *   acknowledges it (compaction never touches it);
 * - `meta (key, value)`.
 *
 * Durability: WAL journal with `synchronous = FULL`, so a call resolves only
 * after its transaction reached the disk (fsync); an append to a document and
 * to the outbox is one transaction. Several processes may open the same file
 * (a `watch` next to a `post` on the same `--data`): writers wait for each
 * other (busy timeout) and sequence numbers stay unique.
 *
 * better-sqlite3 is synchronous: every call does its work before its promise
 * settles, so calls take effect in call order and calls made before
 * `close()` finish.
 */
import fs from 'node:fs'
import path from 'node:path'
import {
  type DocId,
  ErrorCodes,
  FeedmeshError,
  type OutboxEntry,
  type StorageAdapter,
  type StoredDoc,
} from '@feedmesh/core'
import Database from 'better-sqlite3'

/** Options of {@link SqliteStorage.open}. */
export interface SqliteStorageOptions {
  /** File name inside the directory (default `feedmesh.sqlite`). */
  fileName?: string
  /** How long to wait for another process's write lock, ms (default 10 000). */
  busyTimeoutMs?: number
}

/**
 * Sets `journal_mode = WAL`, retrying until `deadline` while another process
 * holds the file. Two processes creating the same store at once race on this
 * switch out of the rollback journal, and SQLite answers `SQLITE_BUSY` at
 * once there (its busy handler is not called, to avoid a deadlock), so the
 * busy timeout alone does not cover it.
 */
function switchToWal(db: Database.Database, deadline: number): unknown {
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (let attempt = 1; ; attempt++) {
    try {
      return db.pragma('journal_mode = WAL', { simple: true })
    } catch (error) {
      const busy = error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY')
      if (!busy || Date.now() >= deadline) throw error
      Atomics.wait(pause, 0, 0, Math.min(2 ** attempt, 50))
    }
  }
}

/** The file name of the store inside a data directory. */
export const STORE_FILE = 'feedmesh.sqlite'

const schema = `
CREATE TABLE IF NOT EXISTS updates (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  doc TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS updates_by_doc ON updates (doc, seq);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY,
  doc TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`

interface Statements {
  load: Database.Statement<[string], { seq: number; data: Buffer }>
  append: Database.Statement<[string, Buffer], never>
  toOutbox: Database.Statement<[number, string, Buffer], never>
  lastOf: Database.Statement<[string, number], { seq: number | null }>
  deleteThrough: Database.Statement<[string, number], never>
  insertAt: Database.Statement<[number, string, Buffer], never>
  listDocs: Database.Statement<[], { doc: string }>
  outbox: Database.Statement<[], { seq: number; doc: string; data: Buffer }>
  removeFromOutbox: Database.Statement<[number], never>
  getMeta: Database.Statement<[string], { value: string }>
  setMeta: Database.Statement<[string, string], never>
}

/** The local store of the CLI: one SQLite file (see the module comment). */
export class SqliteStorage implements StorageAdapter {
  /** The SQLite file. */
  readonly file: string
  readonly #db: Database.Database
  readonly #sql: Statements
  readonly #appendTx: (docId: string, data: Buffer, toOutbox: boolean) => number
  readonly #compactTx: (docId: string, data: Buffer, throughSeq: number) => void
  readonly #removeTx: (seqs: readonly number[]) => void
  #closed = false

  private constructor(file: string, db: Database.Database) {
    this.file = file
    this.#db = db
    this.#sql = {
      load: db.prepare('SELECT seq, data FROM updates WHERE doc = ? ORDER BY seq'),
      append: db.prepare('INSERT INTO updates (doc, data) VALUES (?, ?)'),
      toOutbox: db.prepare('INSERT INTO outbox (seq, doc, data) VALUES (?, ?, ?)'),
      lastOf: db.prepare('SELECT max(seq) AS seq FROM updates WHERE doc = ? AND seq <= ?'),
      deleteThrough: db.prepare('DELETE FROM updates WHERE doc = ? AND seq <= ?'),
      insertAt: db.prepare('INSERT INTO updates (seq, doc, data) VALUES (?, ?, ?)'),
      listDocs: db.prepare('SELECT DISTINCT doc FROM updates ORDER BY doc'),
      outbox: db.prepare('SELECT seq, doc, data FROM outbox ORDER BY seq'),
      removeFromOutbox: db.prepare('DELETE FROM outbox WHERE seq = ?'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    }
    this.#appendTx = db.transaction((docId: string, data: Buffer, toOutbox: boolean) => {
      const seq = Number(this.#sql.append.run(docId, data).lastInsertRowid)
      if (toOutbox) this.#sql.toOutbox.run(seq, docId, data)
      return seq
    })
    this.#compactTx = db.transaction((docId: string, data: Buffer, throughSeq: number) => {
      const last = this.#sql.lastOf.get(docId, throughSeq)?.seq ?? null
      if (last === null) return
      this.#sql.deleteThrough.run(docId, throughSeq)
      this.#sql.insertAt.run(last, docId, data)
    })
    this.#removeTx = db.transaction((seqs: readonly number[]) => {
      for (const seq of seqs) this.#sql.removeFromOutbox.run(seq)
    })
  }

  /**
   * Opens (creating when missing) the store in directory `dir`; throws
   * `FeedmeshError` `storage` when the directory or file cannot be used.
   */
  static open(dir: string, options: SqliteStorageOptions = {}): SqliteStorage {
    const file = path.join(dir, options.fileName ?? STORE_FILE)
    const busy = options.busyTimeoutMs ?? 10_000
    let db: Database.Database | undefined
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      db = new Database(file, { timeout: busy })
      db.pragma(`busy_timeout = ${busy}`)
      const mode = switchToWal(db, Date.now() + busy)
      if (mode !== 'wal') throw new Error(`cannot use WAL mode (got ${String(mode)})`)
      db.pragma('synchronous = FULL')
      db.exec(schema)
      return new SqliteStorage(file, db)
    } catch (error) {
      db?.close()
      const message = error instanceof Error ? error.message : String(error)
      throw new FeedmeshError(ErrorCodes.Storage, `cannot open the store ${file}: ${message}`, {
        cause: error,
      })
    }
  }

  /** {@inheritDoc StorageAdapter.load} */
  async load(docId: DocId): Promise<StoredDoc> {
    this.#check()
    checkDocId(docId)
    const rows = this.#run(() => this.#sql.load.all(docId))
    return {
      updates: rows.map((r) => new Uint8Array(r.data)),
      head: rows.length === 0 ? 0 : rows[rows.length - 1]!.seq,
    }
  }

  /** {@inheritDoc StorageAdapter.append} */
  async append(docId: DocId, update: Uint8Array, toOutbox: boolean): Promise<number> {
    this.#check()
    checkDocId(docId)
    checkBytes(update, 'an update')
    const data = Buffer.from(update)
    return this.#run(() => this.#appendTx(docId, data, toOutbox === true))
  }

  /** {@inheritDoc StorageAdapter.compact} */
  async compact(docId: DocId, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    this.#check()
    checkDocId(docId)
    checkBytes(snapshot, 'a snapshot')
    if (!Number.isSafeInteger(throughSeq) || throughSeq < 0) {
      throw new FeedmeshError(
        ErrorCodes.BadArgument,
        `throughSeq must be a non-negative integer, got ${String(throughSeq)}`,
      )
    }
    const data = Buffer.from(snapshot)
    this.#run(() => this.#compactTx(docId, data, throughSeq))
  }

  /** {@inheritDoc StorageAdapter.listDocs} */
  async listDocs(): Promise<DocId[]> {
    this.#check()
    return this.#run(() => this.#sql.listDocs.all().map((r) => r.doc))
  }

  /** {@inheritDoc StorageAdapter.outbox} */
  async outbox(): Promise<OutboxEntry[]> {
    this.#check()
    return this.#run(() =>
      this.#sql.outbox
        .all()
        .map((r) => ({ seq: r.seq, docId: r.doc, update: new Uint8Array(r.data) })),
    )
  }

  /** {@inheritDoc StorageAdapter.removeFromOutbox} */
  async removeFromOutbox(seqs: readonly number[]): Promise<void> {
    this.#check()
    if (!Array.isArray(seqs)) {
      throw new FeedmeshError(ErrorCodes.BadArgument, 'seqs must be an array of numbers')
    }
    const valid = seqs.filter((s) => Number.isSafeInteger(s) && s > 0)
    if (valid.length > 0) this.#run(() => this.#removeTx(valid))
  }

  /** {@inheritDoc StorageAdapter.getMeta} */
  async getMeta(key: string): Promise<string | undefined> {
    this.#check()
    checkString(key, 'a metadata key')
    return this.#run(() => this.#sql.getMeta.get(key)?.value)
  }

  /** {@inheritDoc StorageAdapter.setMeta} */
  async setMeta(key: string, value: string): Promise<void> {
    this.#check()
    checkString(key, 'a metadata key')
    checkString(value, 'a metadata value')
    this.#run(() => this.#sql.setMeta.run(key, value))
  }

  /** {@inheritDoc StorageAdapter.close} */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#db.close()
  }

  #check(): void {
    if (this.#closed) throw new FeedmeshError(ErrorCodes.Closed, `the store ${this.file} is closed`)
  }

  /** Runs a statement; SQLite failures become `storage` errors naming the file. */
  #run<T>(work: () => T): T {
    try {
      return work()
    } catch (error) {
      if (error instanceof FeedmeshError) throw error
      const message = error instanceof Error ? error.message : String(error)
      throw new FeedmeshError(ErrorCodes.Storage, `${this.file}: ${message}`, { cause: error })
    }
  }
}

function checkDocId(docId: DocId): void {
  if (typeof docId !== 'string' || docId.length === 0) {
    throw new FeedmeshError(ErrorCodes.BadArgument, 'a document id is a non-empty string')
  }
}

function checkBytes(value: Uint8Array, what: string): void {
  if (!(value instanceof Uint8Array)) {
    throw new FeedmeshError(ErrorCodes.BadArgument, `${what} must be a Uint8Array`)
  }
}

function checkString(value: string, what: string): void {
  if (typeof value !== 'string') {
    throw new FeedmeshError(ErrorCodes.BadArgument, `${what} must be a string`)
  }
}
