/**
 * Storage benchmark (not a test; numbers never fail anything): a user who
 * follows 500 people keeps 1,000 small documents (each followed user's
 * profile document and posts of one month, about 5 signed-record updates
 * each). Compared, on fake-indexeddb in Node:
 *
 * - y-indexeddb: one IndexedDB database per document
 *   (`new IndexeddbPersistence(docId, ydoc)`, then `await whenSynced`);
 * - IndexedDbStorage: one database for every document;
 * - MemoryStorage, as a floor.
 *
 * Measured: writing all updates, opening all 1,000 documents cold (a new
 * connection, fresh Y.Docs) and opening 50 of them. Documents are written
 * and opened concurrently (as a timeline would open them); the writes are
 * also timed one at a time, each waiting for the previous to commit (no
 * group commit). Median of
 * several runs with min and max, then the ratio y-indexeddb / ours.
 *
 * Run: `npx tsx bench/storage.bench.ts` in packages/core.
 */
import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as Y from 'yjs'
import { type DocId, postsDocId, userDocId } from '../src/docIds.js'
import { Identity } from '../src/Identity.js'
import { listEntries, type RecordWrite, writeRecords } from '../src/recordMap.js'
import { IndexedDbStorage } from '../src/storage/IndexedDbStorage.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import type { StorageAdapter } from '../src/storage/StorageAdapter.js'

const followed = Number(process.env.FOLLOWED ?? 500)
const reps = Number(process.env.REPS ?? 5)
const fewDocs = 50

/** Median, min and max of repeated measurements, in milliseconds. */
interface Measurement {
  median: number
  min: number
  max: number
}

/**
 * Runs `prepare`, times `run` on what it prepared, then hands the result to
 * `after` untimed; `reps` times after one unmeasured warm-up.
 */
async function timed<T, R>(
  prepare: () => Promise<T>,
  run: (state: T) => Promise<R>,
  after: (state: T, result: R) => Promise<unknown>,
): Promise<Measurement> {
  const times: number[] = []
  for (let i = 0; i <= reps; i++) {
    const state = await prepare()
    const start = performance.now()
    const result = await run(state)
    const took = performance.now() - start
    await after(state, result)
    if (i > 0) times.push(took)
  }
  times.sort((a, b) => a - b)
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]!, max: times.at(-1)! }
}

const fmt = (m: Measurement) =>
  `${m.median.toFixed(0).padStart(6)} ms (${m.min.toFixed(0)}–${m.max.toFixed(0)})`

/** The content: per followed user a profile document and a month of posts, 5 updates each. */
function makeContent(): Map<DocId, Uint8Array[]> {
  const docs = new Map<DocId, Uint8Array[]>()
  const at = Date.UTC(2026, 2, 10)
  const people = Array.from({ length: followed }, () => Identity.generate())
  for (const [i, person] of people.entries()) {
    const profile: RecordWrite[][] = [
      [
        {
          type: 'profile',
          id: 'profile',
          body: { name: `Person ${i}`, bio: 'Writes about maps.' },
        },
      ],
      [{ type: 'bucket', id: '2026-03', body: {} }],
      [{ type: 'follow', id: people[(i + 1) % people.length]!.userId, body: {} }],
      [{ type: 'follow', id: people[(i + 7) % people.length]!.userId, body: {} }],
      [
        {
          type: 'profile',
          id: 'profile',
          body: { name: `Person ${i}`, bio: 'Writes about trains.' },
        },
      ],
    ]
    const posts: RecordWrite[][] = Array.from({ length: 5 }, (_, k) => [
      {
        type: 'post',
        id: `p${k}`,
        body: { text: `Post ${k} of person ${i}: a few sentences, as a short post would have.` },
      },
    ])
    for (const [docId, writes] of [
      [userDocId(person.userId), profile],
      [postsDocId(person.userId, '2026-03'), posts],
    ] as const) {
      const doc = new Y.Doc()
      const updates: Uint8Array[] = []
      doc.on('update', (u: Uint8Array) => updates.push(u))
      for (const [k, w] of writes.entries()) writeRecords(doc, docId, person, w, at + k)
      docs.set(docId, updates)
      doc.destroy()
    }
  }
  return docs
}

/** A fresh Y.Doc holding `updates`. */
function docOf(updates: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc()
  Y.transact(doc, () => {
    for (const u of updates) Y.applyUpdate(doc, u)
  })
  return doc
}

/** Sets a fresh, empty fake-indexeddb as the global `indexedDB` (y-indexeddb uses the global). */
function freshFactory(): IDBFactory {
  const factory = new IDBFactory()
  globalThis.indexedDB = factory
  return factory
}

/** Resolves once every write y-indexeddb queued on `p` has committed. */
function flushed(p: IndexeddbPersistence): Promise<void> {
  return new Promise((resolve, reject) => {
    // Transactions on the same store run in order: this one completes after
    // every readwrite transaction y-indexeddb started before it.
    const tx = p.db!.transaction(['updates'], 'readonly')
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(tx.error)
  })
}

// ---- writers ---------------------------------------------------------------

async function writeYIndexeddb(content: Map<DocId, Uint8Array[]>): Promise<void> {
  await Promise.all(
    [...content].map(async ([docId, updates]) => {
      const doc = new Y.Doc()
      const p = new IndexeddbPersistence(docId, doc)
      await p.whenSynced
      for (const u of updates) Y.applyUpdate(doc, u)
      await flushed(p)
      await p.destroy()
    }),
  )
}

async function writeStorage(
  storage: StorageAdapter,
  content: Map<DocId, Uint8Array[]>,
): Promise<void> {
  await Promise.all(
    [...content].flatMap(([docId, updates]) => updates.map((u) => storage.append(docId, u, false))),
  )
}

/** The same writes one at a time: every update waits for the previous one to commit. */
async function writeYIndexeddbOneByOne(content: Map<DocId, Uint8Array[]>): Promise<void> {
  for (const [docId, updates] of content) {
    const doc = new Y.Doc()
    const p = new IndexeddbPersistence(docId, doc)
    await p.whenSynced
    for (const u of updates) {
      Y.applyUpdate(doc, u)
      await flushed(p)
    }
    await p.destroy()
  }
}

async function writeStorageOneByOne(
  storage: StorageAdapter,
  content: Map<DocId, Uint8Array[]>,
): Promise<void> {
  for (const [docId, updates] of content) {
    for (const u of updates) await storage.append(docId, u, false)
  }
}

// ---- openers ---------------------------------------------------------------

async function openYIndexeddb(ids: readonly DocId[]): Promise<Y.Doc[]> {
  return Promise.all(
    ids.map(async (docId) => {
      const doc = new Y.Doc()
      const p = new IndexeddbPersistence(docId, doc)
      await p.whenSynced
      await p.destroy()
      return doc
    }),
  )
}

async function openStorage(storage: StorageAdapter, ids: readonly DocId[]): Promise<Y.Doc[]> {
  return Promise.all(ids.map(async (docId) => docOf((await storage.load(docId)).updates)))
}

/** Throws when the opened documents do not hold what was written (a broken run, not a slow one). */
function check(docs: Y.Doc[], ids: readonly DocId[], content: Map<DocId, Uint8Array[]>): void {
  docs.forEach((doc, i) => {
    const want = Y.encodeStateVector(docOf(content.get(ids[i]!)!))
    if (listEntries(doc).length === 0 || !sameBytes(Y.encodeStateVector(doc), want)) {
      throw new Error(`document ${ids[i]} did not round-trip`)
    }
    doc.destroy()
  })
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

// ---- the run ---------------------------------------------------------------

async function main(): Promise<void> {
  const content = makeContent()
  const ids = [...content.keys()]
  const few = ids.filter((_, i) => i % Math.floor(ids.length / fewDocs) === 0).slice(0, fewDocs)
  const updateCount = [...content.values()].reduce((n, u) => n + u.length, 0)
  const bytes = [...content.values()].flat().reduce((n, u) => n + u.length, 0)
  console.log(
    `storage benchmark: ${ids.length} documents, ${updateCount} updates, ` +
      `${(bytes / updateCount).toFixed(0)} bytes per update on average; ` +
      `${reps} runs after 1 warm-up, concurrent, fake-indexeddb ${'6'} in Node ${process.version}\n`,
  )

  // Writing everything into an empty store.
  const writeY = await timed(
    async () => freshFactory(),
    () => writeYIndexeddb(content),
    async () => undefined,
  )
  const writeOurs = await timed(
    async () => IndexedDbStorage.open('feedmesh', { indexedDB: freshFactory() }),
    (s) => writeStorage(s, content),
    (s) => s.close(),
  )
  const writeMem = await timed(
    async () => new MemoryStorage(),
    (s) => writeStorage(s, content),
    (s) => s.close(),
  )
  const serialY = await timed(
    async () => freshFactory(),
    () => writeYIndexeddbOneByOne(content),
    async () => undefined,
  )
  const serialOurs = await timed(
    async () => IndexedDbStorage.open('feedmesh', { indexedDB: freshFactory() }),
    (s) => writeStorageOneByOne(s, content),
    (s) => s.close(),
  )
  const serialMem = await timed(
    async () => new MemoryStorage(),
    (s) => writeStorageOneByOne(s, content),
    (s) => s.close(),
  )

  // One populated factory per contestant, opened cold (new connections, fresh Y.Docs) each run.
  const yFactory = freshFactory()
  await writeYIndexeddb(content)
  const oursFactory = new IDBFactory()
  const seeded = await IndexedDbStorage.open('feedmesh', { indexedDB: oursFactory })
  await writeStorage(seeded, content)
  await seeded.close()
  const memory = new MemoryStorage()
  await writeStorage(memory, content)

  const openRows: [string, Measurement, Measurement, Measurement][] = []
  for (const [label, which] of [
    [`open all ${ids.length}`, ids],
    [`open ${few.length}`, few],
  ] as const) {
    const verify = async (_: unknown, docs: Y.Doc[]) => check(docs, which, content)
    const y = await timed(
      async () => {
        globalThis.indexedDB = yFactory
      },
      () => openYIndexeddb(which),
      verify,
    )
    const ours = await timed(
      async () => undefined,
      async () => {
        const s = await IndexedDbStorage.open('feedmesh', { indexedDB: oursFactory })
        const docs = await openStorage(s, which)
        await s.close()
        return docs
      },
      verify,
    )
    const mem = await timed(
      async () => undefined,
      () => openStorage(memory, which),
      verify,
    )
    openRows.push([label, y, ours, mem])
  }

  const rows: [string, Measurement, Measurement, Measurement][] = [
    [`write ${updateCount} updates`, writeY, writeOurs, writeMem],
    [`write ${updateCount}, one by one`, serialY, serialOurs, serialMem],
    ...openRows,
  ]
  const header = [
    '',
    'y-indexeddb (db per doc)',
    'IndexedDbStorage (one db)',
    'ratio',
    'MemoryStorage',
  ]
  const table = rows.map(([label, y, ours, mem]) => [
    label,
    fmt(y),
    fmt(ours),
    `${(y.median / ours.median).toFixed(1)}x`,
    fmt(mem),
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => r[c]!.length)))
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')
  console.log(line(header))
  console.log(line(widths.map((w) => '-'.repeat(w))))
  for (const r of table) console.log(line(r))
  console.log('\nratio = y-indexeddb median / IndexedDbStorage median (higher: ours is faster)')
}

await main()
