/** SqliteStorage passes the core storage contract; a restart reopens the same file. */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { storageContract } from '../../core/test/storageContract.js'
import { SqliteStorage } from '../src/SqliteStorage.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

storageContract('SqliteStorage', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-cli-store-'))
  dirs.push(dir)
  return { storage: SqliteStorage.open(dir), reopen: async () => SqliteStorage.open(dir) }
})

describe('SqliteStorage: two handles on one file (two processes on one --data)', () => {
  it('numbers appends of both store-wide and each sees the other', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-cli-store-'))
    dirs.push(dir)
    const a = SqliteStorage.open(dir)
    const b = SqliteStorage.open(dir)
    try {
      const seqs: number[] = []
      for (let i = 0; i < 20; i++) {
        const store = i % 3 === 0 ? b : a
        seqs.push(await store.append('u/x', Uint8Array.of(i), i % 2 === 0))
      }
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!)
      const fromA = await a.load('u/x')
      expect(fromA.updates.map((u) => u[0])).toEqual(seqs.map((_, i) => i))
      expect(await b.load('u/x')).toEqual(fromA)
      await b.removeFromOutbox([seqs[0]!])
      expect((await a.outbox()).map((e) => e.seq)).toEqual(
        seqs.filter((_, i) => i % 2 === 0 && i > 0),
      )
      await a.setMeta('k', 'v')
      expect(await b.getMeta('k')).toBe('v')
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('three processes creating the same store at once all open it (none sees "database is locked")', async () => {
    // The switch to WAL of a fresh file answers SQLITE_BUSY at once to all but
    // one process, without waiting for the busy timeout; about one round in
    // ten failed before open() retried it.
    const rounds = 12
    const stores = Array.from({ length: rounds }, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-cli-store-'))
      dirs.push(dir)
      return dir
    })
    const start = Date.now() + 1500
    const fixture = path.join(import.meta.dirname, 'fixtures/createStores.ts')
    const children = Array.from({ length: 3 }, () =>
      promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', fixture, String(start), '100', ...stores],
        { timeout: 30_000 },
      ),
    )
    const lines = (await Promise.all(children)).flatMap((r) => r.stdout.trim().split('\n'))
    expect(lines.filter((line) => line !== 'ok')).toEqual([])
    expect(lines).toHaveLength(3 * rounds)
    for (const dir of stores) {
      const store = SqliteStorage.open(dir)
      expect((await store.outbox()).length).toBe(3)
      await store.close()
    }
  })

  it('reports a directory it cannot use as a storage error', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-cli-store-')), 'f')
    dirs.push(path.dirname(file))
    fs.writeFileSync(file, 'not a directory')
    expect(() => SqliteStorage.open(file)).toThrow(/cannot open the store/)
  })
})
