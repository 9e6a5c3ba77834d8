/**
 * The default {@link RelayStore}: one SQLite database in WAL mode under the
 * relay's data directory (`<data>/relay.sqlite`), through better-sqlite3,
 * plus the epoch side file `<data>/epoch` (`EpochFile.ts`).
 *
 * Group commit. `append` and `setPeerCursor` queue their change and return a
 * promise; all changes queued during one turn of the event loop are written
 * in ONE immediate transaction on the next `setImmediate`, then the side file
 * is updated, then every promise of the group resolves. If the transaction
 * fails, it is rolled back and every promise of the group rejects: nothing
 * of it is stored, nothing is acknowledged. With `synchronous = FULL` (the
 * default) a resolved append survives a power loss; with `NORMAL` it
 * survives a crash of the process (SIGKILL) but the last commits may be
 * lost on a power loss, which the epoch rule then detects.
 *
 * Sequence numbers are given out in the transaction, in queue order, so
 * they follow the order of the calls. A document's row in `docs` is updated
 * in the same transaction (its latest seq, update count and bytes), which is
 * what `changesSince` reads through its index.
 *
 * Compaction merges a document's rows into one snapshot (`Y.mergeUpdates`)
 * inside one transaction; better-sqlite3 is synchronous, so no commit can
 * interleave, and appends still queued get higher sequence numbers and stay
 * after the snapshot. With `autoCompact`, a document whose log reaches
 * `compactAfter` updates is compacted in the background, one document per
 * timer tick.
 *
 * Bad data never throws out of the store's promises as anything but a
 * {@link StoreError}: a file that is not SQLite is `corrupt`; a row that is
 * not a Yjs update makes `load` of that document reject with `corrupt`
 * naming it, and other documents still load.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import * as Y from 'yjs'
import { EpochFile } from './EpochFile.js'
import { decideEpoch, type EpochReason, EpochReasons } from './epochRule.js'
import type {
  ChangePage,
  DocChange,
  PeerCursor,
  RelayStore,
  StoredLog,
  StoreStats,
} from './RelayStore.js'
import { migrate } from './sqliteSchema.js'
import { prepare, type Statements } from './sqliteStatements.js'
import { StoreError, StoreErrorCodes, toStoreError } from './storeErrors.js'

/** The `PRAGMA synchronous` modes a store can run with; {@link SyncMode} is the union. */
export const SyncModes = {
  /** fsync the WAL on every commit: an acknowledged write survives a power loss. */
  Full: 'FULL',
  /** fsync only at checkpoints: an acknowledged write survives a process crash, not a power loss. */
  Normal: 'NORMAL',
} as const

/** Union of every {@link SyncModes} value. */
export type SyncMode = (typeof SyncModes)[keyof typeof SyncModes]

/** Options of {@link SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** Name of the database file inside the data directory. Default `relay.sqlite`. */
  fileName?: string
  /** Name of the epoch side file inside the data directory. Default `epoch`. */
  epochFileName?: string
  /**
   * Hold the database's lock for as long as the store is open
   * (`locking_mode = EXCLUSIVE`), so a second process opening the same data
   * directory fails with `busy` instead of giving out the same sequence
   * numbers. Default true; false lets tools read the file while the relay runs.
   */
  exclusive?: boolean
  /** `PRAGMA synchronous`. Default `FULL`. */
  synchronous?: SyncMode
  /** How long a commit waits for another connection's lock before failing with `busy`. Default 5000 ms. */
  busyTimeoutMs?: number
  /** Number of updates in a document's log from which {@link SqliteStore.needsCompaction} is true. Default 200. */
  compactAfter?: number
  /** Compact documents that reach `compactAfter` in the background. Default true. */
  autoCompact?: boolean
  /** Delay before the background compaction starts after a document qualified. Default 1000 ms. */
  compactDelayMs?: number
  /** Check that every row `load` returns decodes as a Yjs update. Default true. */
  verifyOnLoad?: boolean
  /** Receives failures of background work (compaction, side file). Default: `process.emitWarning`. */
  onBackgroundError?: (error: StoreError) => void
}

/** Longest document or peer id accepted, in UTF-16 code units. */
const MAX_ID_LENGTH = 1024
/** Largest page `changesSince` returns. */
const MAX_PAGE = 1_000_000

interface Totals {
  documents: number
  updates: number
  bytes: number
}

/** The persisted counters, in meta under the key `state`. */
interface State extends Totals {
  head: number
}

/** A change waiting for the next group commit. */
type Pending =
  | {
      kind: 'append'
      docId: string
      update: Uint8Array
      resolve: (seq: number) => void
      reject: (error: StoreError) => void
    }
  | {
      kind: 'cursor'
      peerId: string
      cursor: PeerCursor
      resolve: (seq: number) => void
      reject: (error: StoreError) => void
    }

/** A fresh random epoch: 128 bits, base64url. */
function newEpoch(): string {
  return randomBytes(16).toString('base64url')
}

function badArgument(message: string): StoreError {
  return new StoreError(StoreErrorCodes.BadArgument, message)
}

function checkId(id: string, what: string): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw badArgument(`${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`)
  }
}

function checkSeq(seq: number, what: string): void {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw badArgument(`${what} must be a non-negative integer, got ${String(seq)}`)
  }
}

function positiveInteger(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) {
    throw badArgument(`${what} must be a non-negative integer, got ${String(value)}`)
  }
  return value
}

/** A copy of a blob read from SQLite as a plain `Uint8Array` (not a Node `Buffer`). */
function plain(data: Buffer): Uint8Array {
  return new Uint8Array(data)
}

/** The relay store on SQLite; open one with {@link SqliteStore.open}. */
export class SqliteStore implements RelayStore {
  /** {@inheritDoc RelayStore.epoch} */
  readonly epoch: string
  /** Why the store has this epoch: `continued`, or why a new one started (see `epochRule.ts`). */
  readonly epochReason: EpochReason
  /** Path of the database file. */
  readonly file: string
  /** The `PRAGMA synchronous` mode in use. */
  readonly synchronous: SyncMode

  readonly #db: Database.Database
  readonly #sql: Statements
  readonly #epochFile: EpochFile
  readonly #compactAfter: number
  readonly #autoCompact: boolean
  readonly #compactDelayMs: number
  readonly #verifyOnLoad: boolean
  readonly #onBackgroundError: (error: StoreError) => void
  readonly #commitBatch: (batch: readonly Pending[]) => number[]

  #head: number
  #totals: Totals
  #pending: Pending[] = []
  #flushHandle: NodeJS.Immediate | undefined
  readonly #compactQueue = new Set<string>()
  #compactTimer: NodeJS.Timeout | undefined
  #closing: Promise<void> | undefined

  private constructor(init: {
    db: Database.Database
    file: string
    epoch: string
    epochReason: EpochReason
    epochFile: EpochFile
    state: State
    synchronous: SyncMode
    options: SqliteStoreOptions
  }) {
    const { db, options } = init
    this.#db = db
    this.#sql = prepare(db)
    this.file = init.file
    this.epoch = init.epoch
    this.epochReason = init.epochReason
    this.#epochFile = init.epochFile
    this.synchronous = init.synchronous
    this.#head = init.state.head
    this.#totals = {
      documents: init.state.documents,
      updates: init.state.updates,
      bytes: init.state.bytes,
    }
    this.#compactAfter = positiveInteger(options.compactAfter, 200, 'compactAfter')
    this.#autoCompact = options.autoCompact ?? true
    this.#compactDelayMs = positiveInteger(options.compactDelayMs, 1000, 'compactDelayMs')
    this.#verifyOnLoad = options.verifyOnLoad ?? true
    this.#onBackgroundError =
      options.onBackgroundError ??
      ((error) => process.emitWarning(error.message, { code: `FEEDMESH_STORE_${error.code}` }))
    this.#commitBatch = db.transaction((batch: readonly Pending[]) => this.#writeBatch(batch))
      .immediate as (batch: readonly Pending[]) => number[]
  }

  /**
   * Opens (creating it when missing) the store in the data directory `dir`:
   * creates the directory, the database and the side file as needed, checks
   * the schema and decides the epoch. Rejects with `corrupt` when the file is
   * not a feedmesh relay database, `newer-schema`, `busy` or `io`.
   */
  static async open(dir: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    return SqliteStore.#openSync(dir, options)
  }

  static #openSync(dir: string, options: SqliteStoreOptions): SqliteStore {
    if (typeof dir !== 'string' || dir.length === 0) throw badArgument('dir must be a path')
    const synchronous = options.synchronous ?? SyncModes.Full
    if (synchronous !== SyncModes.Full && synchronous !== SyncModes.Normal) {
      throw badArgument(`synchronous must be FULL or NORMAL, got ${String(synchronous)}`)
    }
    const busyTimeoutMs = positiveInteger(options.busyTimeoutMs, 5000, 'busyTimeoutMs')
    const exclusive = options.exclusive ?? true
    positiveInteger(options.compactAfter, 0, 'compactAfter')
    positiveInteger(options.compactDelayMs, 0, 'compactDelayMs')
    const file = path.join(dir, options.fileName ?? 'relay.sqlite')
    const sidePath = path.join(dir, options.epochFileName ?? 'epoch')
    try {
      fs.mkdirSync(dir, { recursive: true })
    } catch (error) {
      throw toStoreError(error, `cannot create the data directory ${dir}`)
    }
    let db: Database.Database
    try {
      db = new Database(file, { timeout: busyTimeoutMs })
    } catch (error) {
      throw toStoreError(error, `cannot open ${file}`)
    }
    let epochFile: EpochFile | undefined
    try {
      db.pragma(`busy_timeout = ${busyTimeoutMs}`)
      if (exclusive) db.pragma('locking_mode = EXCLUSIVE')
      const mode = db.pragma('journal_mode = WAL', { simple: true })
      if (mode !== 'wal') {
        throw new StoreError(
          StoreErrorCodes.Io,
          `${file} cannot use WAL mode (got ${String(mode)})`,
        )
      }
      db.pragma(`synchronous = ${synchronous}`)
      migrate(db, file)
      // a write takes (and, in exclusive mode, keeps) the write lock: a second
      // process opening the same data fails here with `busy`
      db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ).run('openedAt', new Date().toISOString())
      const readMeta = db.prepare<[string], { value: unknown }>(
        'SELECT value FROM meta WHERE key = ?',
      )
      const dbEpoch = readMeta.get('epoch')?.value
      const state = readState(readMeta.get('state')?.value) ?? countState(db)
      const maxSeq = db
        .prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM updates')
        .get()
      state.head = Math.max(state.head, maxSeq?.seq ?? 0)
      const side = EpochFile.read(sidePath)
      const reason = decideEpoch(
        typeof dbEpoch === 'string' ? dbEpoch : undefined,
        state.head,
        side,
      )
      let epoch = typeof dbEpoch === 'string' ? dbEpoch : ''
      if (reason !== EpochReasons.Continued) {
        epoch = newEpoch()
        const write = db.prepare(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        )
        db.transaction(() => {
          write.run('epoch', epoch)
          write.run('epochReason', reason)
          write.run('epochSince', new Date().toISOString())
          write.run('state', JSON.stringify(state))
        }).immediate()
      }
      epochFile = EpochFile.open(sidePath)
      epochFile.writeDurably({ epoch, seq: state.head })
      return new SqliteStore({
        db,
        file,
        epoch,
        epochReason: reason,
        epochFile,
        state,
        synchronous,
        options,
      })
    } catch (error) {
      epochFile?.close()
      db.close()
      const failure = toStoreError(error, `cannot open the relay store ${file}`)
      if (failure.code !== StoreErrorCodes.Busy) throw failure
      throw new StoreError(
        StoreErrorCodes.Busy,
        `${failure.message}: is another relay using the data directory ${dir}?`,
        { cause: error },
      )
    }
  }

  #check(): void {
    if (this.#closing !== undefined) {
      throw new StoreError(StoreErrorCodes.Closed, `the relay store ${this.file} is closed`)
    }
  }

  /** {@inheritDoc RelayStore.load} */
  async load(docId: string): Promise<StoredLog> {
    this.#check()
    checkId(docId, 'docId')
    let rows: { seq: number; data: Buffer }[]
    let seq: number
    try {
      rows = this.#sql.selectLog.all(docId)
      seq = this.#sql.getDoc.get(docId)?.seq ?? 0
    } catch (error) {
      throw toStoreError(error, `cannot load document ${docId}`, docId)
    }
    if (this.#verifyOnLoad) {
      for (const row of rows) {
        try {
          Y.decodeUpdate(row.data)
        } catch (error) {
          throw new StoreError(
            StoreErrorCodes.Corrupt,
            `document ${docId}: stored update ${row.seq} is not a valid Yjs update`,
            { cause: error, docId },
          )
        }
      }
    }
    return { updates: rows.map((row) => plain(row.data)), seq }
  }

  /** {@inheritDoc RelayStore.append} */
  append(docId: string, update: Uint8Array): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#check()
      checkId(docId, 'docId')
      if (!(update instanceof Uint8Array) || update.length === 0) {
        throw badArgument('an update must be a non-empty Uint8Array')
      }
      this.#enqueue({ kind: 'append', docId, update: update.slice(), resolve, reject })
    })
  }

  /** {@inheritDoc RelayStore.changesSince} */
  async changesSince(seq: number, limit: number): Promise<ChangePage> {
    this.#check()
    checkSeq(seq, 'seq')
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw badArgument(`limit must be an integer from 1 to ${MAX_PAGE}, got ${String(limit)}`)
    }
    let rows: DocChange[]
    try {
      rows = this.#sql.changesSince.all(seq, limit + 1)
    } catch (error) {
      throw toStoreError(error, 'cannot list changed documents')
    }
    const more = rows.length > limit
    if (more) rows.pop()
    return { changes: rows, head: this.#head, more }
  }

  /** {@inheritDoc RelayStore.updatesSince} */
  async updatesSince(docId: string, seq: number): Promise<Uint8Array[]> {
    this.#check()
    checkId(docId, 'docId')
    checkSeq(seq, 'seq')
    try {
      return this.#sql.selectLogSince.all(docId, seq).map((row) => plain(row.data))
    } catch (error) {
      throw toStoreError(error, `cannot load document ${docId}`, docId)
    }
  }

  /** {@inheritDoc RelayStore.head} */
  async head(): Promise<number> {
    this.#check()
    return this.#head
  }

  /** {@inheritDoc RelayStore.compact} */
  async compact(docId: string): Promise<boolean> {
    this.#check()
    checkId(docId, 'docId')
    return this.#compactSync(docId)
  }

  /** {@inheritDoc RelayStore.needsCompaction} */
  async needsCompaction(docId: string): Promise<boolean> {
    this.#check()
    checkId(docId, 'docId')
    let updates: number
    try {
      updates = this.#sql.getDoc.get(docId)?.updates ?? 0
    } catch (error) {
      throw toStoreError(error, `cannot read document ${docId}`, docId)
    }
    return updates > 1 && updates >= this.#compactAfter
  }

  /** {@inheritDoc RelayStore.getPeerCursor} */
  async getPeerCursor(peerId: string): Promise<PeerCursor | undefined> {
    this.#check()
    checkId(peerId, 'peerId')
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const item = this.#pending[i]!
      if (item.kind === 'cursor' && item.peerId === peerId) return { ...item.cursor }
    }
    try {
      const row = this.#sql.getPeer.get(peerId)
      return row === undefined ? undefined : { epoch: row.epoch, seq: row.seq }
    } catch (error) {
      throw toStoreError(error, `cannot read the cursor of peer ${peerId}`)
    }
  }

  /** {@inheritDoc RelayStore.setPeerCursor} */
  setPeerCursor(peerId: string, cursor: PeerCursor): Promise<void> {
    return new Promise<number>((resolve, reject) => {
      this.#check()
      checkId(peerId, 'peerId')
      if (typeof cursor !== 'object' || cursor === null)
        throw badArgument('cursor must be an object')
      checkId(cursor.epoch, 'cursor.epoch')
      checkSeq(cursor.seq, 'cursor.seq')
      const copy = { epoch: cursor.epoch, seq: cursor.seq }
      this.#enqueue({ kind: 'cursor', peerId, cursor: copy, resolve, reject })
    }).then(() => undefined)
  }

  /** {@inheritDoc RelayStore.stats} */
  async stats(): Promise<StoreStats> {
    this.#check()
    return { ...this.#totals }
  }

  /** {@inheritDoc RelayStore.close} */
  close(): Promise<void> {
    this.#closing ??= this.#closeNow()
    return this.#closing
  }

  async #closeNow(): Promise<void> {
    if (this.#flushHandle !== undefined) clearImmediate(this.#flushHandle)
    this.#flush()
    if (this.#compactTimer !== undefined) clearTimeout(this.#compactTimer)
    this.#compactQueue.clear()
    const failures: unknown[] = []
    try {
      this.#epochFile.writeDurably({ epoch: this.epoch, seq: this.#head })
    } catch (error) {
      failures.push(error)
    }
    this.#epochFile.close()
    try {
      this.#db.close()
    } catch (error) {
      failures.push(error)
    }
    if (failures.length > 0) throw toStoreError(failures[0], `closing ${this.file} failed`)
  }

  #enqueue(item: Pending): void {
    this.#pending.push(item)
    this.#flushHandle ??= setImmediate(() => this.#flush())
  }

  /** Commits every queued change in one transaction, then settles their promises. */
  #flush(): void {
    this.#flushHandle = undefined
    const batch = this.#pending
    if (batch.length === 0) return
    this.#pending = []
    const head = this.#head
    const totals = { ...this.#totals }
    let seqs: number[]
    try {
      seqs = this.#commitBatch(batch)
    } catch (error) {
      this.#head = head
      this.#totals = totals
      const failure = toStoreError(error, `commit of ${batch.length} change(s) failed`)
      for (const item of batch) item.reject(failure)
      return
    }
    try {
      this.#epochFile.write({ epoch: this.epoch, seq: this.#head })
    } catch (error) {
      this.#onBackgroundError(toStoreError(error, 'cannot update the epoch file'))
    }
    batch.forEach((item, i) => {
      item.resolve(seqs[i]!)
    })
  }

  /** The body of one group commit (runs inside an immediate transaction). */
  #writeBatch(batch: readonly Pending[]): number[] {
    const seqs: number[] = []
    const sql = this.#sql
    for (const item of batch) {
      if (item.kind === 'cursor') {
        sql.upsertPeer.run(item.peerId, item.cursor.epoch, item.cursor.seq)
        seqs.push(0)
        continue
      }
      const seq = ++this.#head
      sql.insertUpdate.run(seq, item.docId, item.update)
      const row = sql.upsertDoc.get(item.docId, seq, item.update.length)
      const updates = row?.updates ?? 1
      if (updates === 1) this.#totals.documents++
      this.#totals.updates++
      this.#totals.bytes += item.update.length
      if (this.#autoCompact && this.#compactAfter > 1 && updates >= this.#compactAfter) {
        this.#scheduleCompaction(item.docId)
      }
      seqs.push(seq)
    }
    this.#saveState()
    return seqs
  }

  #saveState(): void {
    const state: State = { head: this.#head, ...this.#totals }
    this.#sql.setMeta.run('state', JSON.stringify(state))
  }

  /** Merges a document's log into one snapshot; true when it merged anything. */
  #compactSync(docId: string): boolean {
    const totals = { ...this.#totals }
    const run = this.#db.transaction((): boolean => {
      const rows = this.#sql.selectLog.all(docId)
      if (rows.length <= 1) return false
      const through = rows[rows.length - 1]!.seq
      let merged: Uint8Array
      try {
        merged = Y.mergeUpdates(rows.map((row) => row.data))
      } catch (error) {
        throw new StoreError(
          StoreErrorCodes.Corrupt,
          `document ${docId}: cannot compact, a stored update is not a valid Yjs update`,
          { cause: error, docId },
        )
      }
      const oldBytes = rows.reduce((sum, row) => sum + row.data.length, 0)
      this.#sql.deleteLogThrough.run(docId, through)
      this.#sql.insertUpdate.run(through, docId, merged)
      this.#sql.setDocSize.run(1, merged.length, docId)
      this.#totals.updates -= rows.length - 1
      this.#totals.bytes += merged.length - oldBytes
      this.#saveState()
      return true
    })
    try {
      return run.immediate()
    } catch (error) {
      this.#totals = totals
      throw toStoreError(error, `cannot compact document ${docId}`, docId)
    }
  }

  #scheduleCompaction(docId: string): void {
    this.#compactQueue.add(docId)
    if (this.#compactTimer === undefined) {
      this.#compactTimer = setTimeout(() => this.#compactNext(), this.#compactDelayMs)
      this.#compactTimer.unref()
    }
  }

  /** Background compaction: one document per tick, so appends keep flowing between them. */
  #compactNext(): void {
    this.#compactTimer = undefined
    if (this.#closing !== undefined) return
    const next = this.#compactQueue.values().next()
    if (next.done === true) return
    const docId = next.value
    this.#compactQueue.delete(docId)
    try {
      this.#compactSync(docId)
    } catch (error) {
      this.#onBackgroundError(toStoreError(error, `background compaction of ${docId}`, docId))
    }
    if (this.#compactQueue.size > 0) {
      this.#compactTimer = setTimeout(() => this.#compactNext(), 0)
      this.#compactTimer.unref()
    }
  }
}

/** Parses the persisted `state` row; undefined when it is missing or damaged. */
function readState(value: unknown): State | undefined {
  if (typeof value !== 'string') return undefined
  try {
    const parsed = JSON.parse(value) as Partial<Record<keyof State, unknown>>
    const { head, documents, updates, bytes } = parsed
    const ok = (v: unknown): v is number =>
      typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
    if (!ok(head) || !ok(documents) || !ok(updates) || !ok(bytes)) return undefined
    return { head, documents, updates, bytes }
  } catch {
    return undefined
  }
}

/** Rebuilds the counters from the tables (one scan of `docs`; only when the `state` row is lost). */
function countState(db: Database.Database): State {
  const row = db
    .prepare<
      [],
      { documents: number; updates: number | null; bytes: number | null; head: number | null }
    >(
      'SELECT count(*) AS documents, sum(updates) AS updates, sum(bytes) AS bytes, max(seq) AS head FROM docs',
    )
    .get()
  return {
    head: row?.head ?? 0,
    documents: row?.documents ?? 0,
    updates: row?.updates ?? 0,
    bytes: row?.bytes ?? 0,
  }
}
