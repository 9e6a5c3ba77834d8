/**
 * SqliteStore: the contract suite (in both synchronous modes), then what is
 * specific to SQLite: the files under the data directory, the indexes the
 * queries use, group commit failure, damaged and foreign files, schema
 * versions, the epoch side file and background compaction.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import * as prng from 'lib0/prng'
import { afterEach, describe, expect, it } from 'vitest'
import { EpochReasons } from '../src/store/epochRule.js'
import {
  SqliteStore,
  type SqliteStoreOptions,
  type SyncMode,
  SyncModes,
} from '../src/store/SqliteStore.js'
import { type StoreError, StoreErrorCodes } from '../src/store/storeErrors.js'
import { contentOf, docFrom, keyUpdate, recordingDoc, storeContract } from './storeContract.js'
import { seed, withSeed } from './storeFuzz.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-store-'))
  dirs.push(dir)
  return dir
}

/** Removes the WAL and shared-memory files a closed database may leave. */
function removeWal(file: string): void {
  fs.rmSync(`${file}-wal`, { force: true })
  fs.rmSync(`${file}-shm`, { force: true })
}

for (const synchronous of [SyncModes.Full, SyncModes.Normal]) {
  storeContract(`SqliteStore (synchronous ${synchronous})`, async () => {
    const dir = tempDir()
    const options: SqliteStoreOptions = { synchronous, autoCompact: false }
    const store = await SqliteStore.open(dir, options)
    const file = path.join(dir, 'relay.sqlite')
    return {
      store,
      reopen: () => SqliteStore.open(dir, options),
      async backup() {
        const copy = path.join(tempDir(), 'backup.sqlite')
        fs.copyFileSync(file, copy)
        return async () => {
          removeWal(file)
          fs.copyFileSync(copy, file)
        }
      },
    }
  })
}

describe('SqliteStore on disk', () => {
  const opened: SqliteStore[] = []
  const sideConnections: Database.Database[] = []
  afterEach(async () => {
    for (const db of sideConnections.splice(0)) db.close()
    for (const s of opened.splice(0)) await s.close().catch(() => undefined)
  })
  async function open(dir: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const store = await SqliteStore.open(dir, options)
    opened.push(store)
    return store
  }
  /** A second connection to the store's file, as another process would have. */
  function connect(store: SqliteStore): Database.Database {
    const db = new Database(store.file)
    sideConnections.push(db)
    return db
  }
  async function expectCode(work: Promise<unknown>, code: string): Promise<StoreError> {
    const error = await work.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ name: 'StoreError', code })
    return error as StoreError
  }

  it('creates the data directory, a WAL database with schema version 1 and the epoch file', async () => {
    const dir = path.join(tempDir(), 'nested', 'data')
    const store = await open(dir, { exclusive: false })
    expect(store.file).toBe(path.join(dir, 'relay.sqlite'))
    expect(store.epochReason).toBe(EpochReasons.Created)
    expect(store.synchronous).toBe(SyncModes.Full)
    const db = connect(store)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('user_version', { simple: true })).toBe(1)
    const side = JSON.parse(fs.readFileSync(path.join(dir, 'epoch'), 'utf8').trim())
    expect(side).toEqual({ v: 1, epoch: store.epoch, seq: 0 })
    await store.append('d', keyUpdate('a'))
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'epoch'), 'utf8').trim()).seq).toBe(1)
  })

  it('answers changesSince and load through their indexes', async () => {
    const store = await open(tempDir(), { exclusive: false })
    const db = connect(store)
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
        .map((r) => r.detail)
        .join('; ')
    const changes = plan('SELECT doc AS docId, seq FROM docs WHERE seq > 5 ORDER BY seq LIMIT 10')
    expect(changes).toContain('docs_by_seq')
    expect(changes).not.toContain('SCAN docs')
    expect(changes).not.toContain('TEMP B-TREE')
    const load = plan("SELECT seq, data FROM updates WHERE doc = 'd' ORDER BY seq")
    expect(load).toContain('updates_by_doc')
    expect(load).not.toContain('TEMP B-TREE')
  })

  it('rejects every append of a failed group commit and stores none of them', async () => {
    const store = await open(tempDir(), { exclusive: false })
    await store.append('a', keyUpdate('before'))
    const db = connect(store)
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON updates WHEN NEW.doc = 'poison'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END`)
    const group = [
      store.append('a', keyUpdate('x')),
      store.append('b', keyUpdate('y')),
      store.setPeerCursor('relay-b', { epoch: 'e', seq: 7 }),
      store.append('poison', keyUpdate('z')),
      store.append('c', keyUpdate('w')),
    ]
    const results = await Promise.allSettled(group)
    for (const r of results) {
      expect(r.status).toBe('rejected')
      expect(r.status === 'rejected' && r.reason).toMatchObject({ code: StoreErrorCodes.Io })
    }
    expect(await store.head()).toBe(1)
    expect(await store.changesSince(0, 10)).toEqual({
      changes: [{ docId: 'a', seq: 1 }],
      head: 1,
      more: false,
    })
    expect((await store.load('a')).updates).toHaveLength(1)
    expect((await store.load('b')).seq).toBe(0)
    expect(await store.getPeerCursor('relay-b')).toBeUndefined()
    expect(await store.stats()).toMatchObject({ documents: 1, updates: 1 })
    // the next group commits normally and numbering continues without a gap
    db.exec('DROP TRIGGER poison')
    expect(await store.append('b', keyUpdate('y'))).toBe(2)
  })

  it('fails a commit with busy when another connection holds the write lock past the timeout', async () => {
    const store = await open(tempDir(), { busyTimeoutMs: 50, exclusive: false })
    const db = connect(store)
    db.exec('BEGIN IMMEDIATE')
    const results = await Promise.allSettled([
      store.append('a', keyUpdate('1')),
      store.append('b', keyUpdate('2')),
    ])
    expect(results.map((r) => r.status === 'rejected' && r.reason.code)).toEqual([
      StoreErrorCodes.Busy,
      StoreErrorCodes.Busy,
    ])
    db.exec('ROLLBACK')
    expect(await store.append('a', keyUpdate('1'))).toBe(1)
  })

  it('refuses a second store on the same data directory with busy while the first is open', async () => {
    const dir = tempDir()
    const first = await open(dir)
    await first.append('d', keyUpdate('a'))
    const error = await expectCode(
      SqliteStore.open(dir, { busyTimeoutMs: 50 }),
      StoreErrorCodes.Busy,
    )
    expect(error.message).toContain('another relay')
    expect(await first.append('d', keyUpdate('b'))).toBe(2)
    await first.close()
    const second = await open(dir)
    expect(second.epoch).toBe(first.epoch)
    expect(await second.head()).toBe(2)
  })

  it('refuses a file that is not SQLite with corrupt, naming the file', async () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, 'relay.sqlite'), 'this is not a database at all, '.repeat(200))
    const error = await expectCode(SqliteStore.open(dir), StoreErrorCodes.Corrupt)
    expect(error.message).toContain(path.join(dir, 'relay.sqlite'))
  })

  it('refuses a SQLite database of another application with corrupt', async () => {
    const dir = tempDir()
    const db = new Database(path.join(dir, 'relay.sqlite'))
    db.exec('CREATE TABLE notes (body TEXT)')
    db.close()
    await expectCode(SqliteStore.open(dir), StoreErrorCodes.Corrupt)
  })

  it('refuses a database of a newer schema version with newer-schema', async () => {
    const dir = tempDir()
    const store = await SqliteStore.open(dir)
    await store.close()
    const db = new Database(path.join(dir, 'relay.sqlite'))
    db.pragma('user_version = 2')
    db.close()
    const error = await expectCode(SqliteStore.open(dir), StoreErrorCodes.NewerSchema)
    expect(error.message).toContain('version 2')
  })

  it('refuses bad options with bad-argument before touching the data directory', async () => {
    const dir = path.join(tempDir(), 'never-created')
    await expectCode(SqliteStore.open(dir, { compactAfter: -1 }), StoreErrorCodes.BadArgument)
    await expectCode(
      SqliteStore.open(dir, { synchronous: 'OFF' as SyncMode }),
      StoreErrorCodes.BadArgument,
    )
    expect(fs.existsSync(dir)).toBe(false)
  })

  it('reports an unusable data directory with io', async () => {
    const parent = tempDir()
    const notADir = path.join(parent, 'file')
    fs.writeFileSync(notADir, 'x')
    await expectCode(SqliteStore.open(notADir), StoreErrorCodes.Io)
  })

  it('rejects the load of a damaged document with corrupt naming it; others still load', async () => {
    const errors: StoreError[] = []
    const store = await open(tempDir(), {
      compactAfter: 3,
      compactDelayMs: 0,
      onBackgroundError: (e) => errors.push(e),
    })
    await store.append('good', keyUpdate('fine'))
    await store.append('bad', keyUpdate('fine too'))
    await store.append('bad', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))
    const error = await expectCode(store.load('bad'), StoreErrorCodes.Corrupt)
    expect(error.docId).toBe('bad')
    expect(error.message).toContain('bad')
    expect(
      docFrom((await store.load('good')).updates)
        .getMap('m')
        .get('fine'),
    ).toBe('fine')
    const compaction = await expectCode(store.compact('bad'), StoreErrorCodes.Corrupt)
    expect(compaction.docId).toBe('bad')
    expect((await store.stats()).updates).toBe(3)
    // a third update triggers the background compaction, which reports instead of throwing
    await store.append('bad', keyUpdate('third'))
    await waitFor(() => errors.length > 0)
    expect(errors[0]).toMatchObject({ code: StoreErrorCodes.Corrupt, docId: 'bad' })
    expect((await store.stats()).updates).toBe(4)
  })

  it('never crashes on random bytes stored as updates: load resolves or rejects with corrupt', async () => {
    await withSeed(seed + 10, async (gen) => {
      const store = await open(tempDir(), { autoCompact: false })
      for (let i = 0; i < 200; i++) {
        const docId = `junk${i}`
        const junk = prng.uint8Array(gen, prng.uint32(gen, 1, 64))
        await store.append(docId, junk)
        const outcome = await store.load(docId).then(
          () => 'loaded',
          (e: unknown) => e,
        )
        if (outcome !== 'loaded')
          expect(outcome).toMatchObject({ code: StoreErrorCodes.Corrupt, docId })
      }
    })
  })

  it('compacts in the background once a document reaches compactAfter', async () => {
    const store = await open(tempDir(), { compactAfter: 10, compactDelayMs: 0 })
    const { doc, updates } = recordingDoc()
    for (let i = 0; i < 9; i++) doc.getMap('m').set(`k${i}`, i)
    for (const u of updates) await store.append('d', u)
    expect(await store.needsCompaction('d')).toBe(false)
    updates.length = 0
    doc.getMap('m').set('tenth', 10)
    const seq = await store.append('d', updates[0]!)
    await waitFor(async () => (await store.stats()).updates === 1)
    const log = await store.load('d')
    expect(log).toMatchObject({ seq })
    expect(log.updates).toHaveLength(1)
    expect(contentOf(docFrom(log.updates))).toEqual(contentOf(doc))
  })

  it('says when a document needs compaction', async () => {
    const store = await open(tempDir(), { compactAfter: 5, autoCompact: false })
    for (let i = 0; i < 4; i++) await store.append('d', keyUpdate(`k${i}`))
    expect(await store.needsCompaction('d')).toBe(false)
    await store.append('d', keyUpdate('k4'))
    expect(await store.needsCompaction('d')).toBe(true)
    await store.compact('d')
    expect(await store.needsCompaction('d')).toBe(false)
  })

  describe('epoch rule', () => {
    async function storeWithData(): Promise<{ dir: string; epoch: string }> {
      const dir = tempDir()
      const store = await SqliteStore.open(dir)
      await store.append('d', keyUpdate('a'))
      await store.append('d', keyUpdate('b'))
      await store.close()
      return { dir, epoch: store.epoch }
    }

    it('continues the epoch after a clean close', async () => {
      const { dir, epoch } = await storeWithData()
      const store = await open(dir)
      expect(store.epoch).toBe(epoch)
      expect(store.epochReason).toBe(EpochReasons.Continued)
    })

    it('starts a new epoch when the side file is missing or unreadable', async () => {
      const { dir, epoch } = await storeWithData()
      fs.rmSync(path.join(dir, 'epoch'))
      const first = await open(dir)
      expect(first.epochReason).toBe(EpochReasons.SideFileMissing)
      expect(first.epoch).not.toBe(epoch)
      await first.close()
      fs.writeFileSync(path.join(dir, 'epoch'), '{"v":1,"epo')
      const second = await open(dir)
      expect(second.epochReason).toBe(EpochReasons.SideFileMissing)
      expect(second.epoch).not.toBe(first.epoch)
    })

    it('starts a new epoch when the side file names another epoch', async () => {
      const { dir, epoch } = await storeWithData()
      fs.writeFileSync(path.join(dir, 'epoch'), JSON.stringify({ v: 1, epoch: 'other', seq: 0 }))
      const store = await open(dir)
      expect(store.epochReason).toBe(EpochReasons.EpochMismatch)
      expect(store.epoch).not.toBe(epoch)
      expect(store.epoch).not.toBe('other')
    })

    it('starts a new epoch when the database is behind the side file (restored copy)', async () => {
      const { dir, epoch } = await storeWithData()
      fs.writeFileSync(path.join(dir, 'epoch'), JSON.stringify({ v: 1, epoch, seq: 3 }))
      const store = await open(dir)
      expect(store.epochReason).toBe(EpochReasons.Restored)
      expect(store.epoch).not.toBe(epoch)
      expect(await store.head()).toBe(2)
    })

    it('keeps every acknowledged change below the side file seq, even without close', async () => {
      const dir = tempDir()
      const store = await open(dir)
      const seqs = await Promise.all([1, 2, 3].map((i) => store.append('d', keyUpdate(`k${i}`))))
      const side = JSON.parse(fs.readFileSync(path.join(dir, 'epoch'), 'utf8').trim())
      expect(side.seq).toBeGreaterThanOrEqual(Math.max(...seqs))
      expect(side.epoch).toBe(store.epoch)
    })
  })
})

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
