/**
 * Core benchmarks (not tests; numbers never fail anything):
 * - signed records verified per second, per verification backend;
 * - a timeline query over 500 followed users with 20 posts each (over two
 *   months): first page cold (a new client; with the process' signature
 *   cache warm, and with a fresh verifier that checks every signature it
 *   reads), with the documents already open, and `loadMore`; with the number
 *   of computations of the query and of signatures checked;
 * - a DocStore opening the 1,000 documents such a timeline reads (500
 *   `u/` and 500 `p/` documents), from MemoryStorage and from
 *   IndexedDbStorage on fake-indexeddb: with the signatures cached, with a
 *   fresh verifier and the buckets read lazily (as a timeline does), and
 *   with a fresh verifier and every record verified.
 * Storage adapters alone (against y-indexeddb) are measured by `bench/storage.bench.ts`.
 *
 * Run: `pnpm -F @feedmesh/core bench` (or `npx tsx bench/core.bench.ts` in packages/core).
 * Smaller runs: `BENCH_USERS=100 BENCH_POSTS=20`; `BENCH_SKIP_VERIFY=1` skips the backends.
 */
import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { fromBase64url } from '../src/base64url.js'
import { DocStore } from '../src/client/DocStore.js'
import { DropStats } from '../src/client/DropStats.js'
import { FeedClient } from '../src/client/FeedClient.js'
import type { DocId } from '../src/docIds.js'
import { loadVerifier, VerifierBackends } from '../src/ed25519.js'
import { Identity } from '../src/Identity.js'
import { canonicalBytes, RecordVerifier, signRecord } from '../src/records.js'
import { IndexedDbStorage } from '../src/storage/IndexedDbStorage.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import type { StorageAdapter } from '../src/storage/StorageAdapter.js'
import { fmt, measure } from './measure.js'

async function verificationRate(): Promise<void> {
  const authors = Array.from({ length: 20 }, () => Identity.generate())
  const items = Array.from({ length: 2000 }, (_, i) => {
    const author = authors[i % authors.length]!
    const record = signRecord(author, {
      doc: `p/${author.userId}/2026-11`,
      author: author.userId,
      type: 'post',
      id: `post${i}`,
      rev: 1,
      at: 1_764_000_000_000 + i,
      yid: [i, 0],
      body: { text: `post number ${i} with a few words of text in it` },
    })
    return { key: author.publicKey, msg: canonicalBytes(record), sig: fromBase64url(record.sig)! }
  })
  console.log('\nrecords verified per second (2,000 distinct records, 20 authors)')
  for (const backend of Object.values(VerifierBackends)) {
    const verify = await loadVerifier(backend)
    if (verify === null) {
      console.log(`  ${backend.padEnd(12)} not available here`)
      continue
    }
    const m = await measure(async () => {
      const results = await Promise.all(items.map((it) => verify(it.key, it.msg, it.sig)))
      if (results.some((ok) => !ok)) throw new Error('a valid signature failed')
    }, 3)
    console.log(
      `  ${backend.padEnd(12)} ${Math.round((items.length / m.median) * 1000)
        .toString()
        .padStart(7)}/s   ${fmt(m)} per 2,000`,
    )
  }
}

/** Builds the timeline scenario in a MemoryStorage; returns it with the reader. */
async function timelineStorage(
  users: number,
  postsEach: number,
): Promise<{ storage: MemoryStorage; reader: Identity }> {
  const storage = new MemoryStorage()
  const reader = Identity.generate()
  const start = Date.UTC(2026, 9, 1)
  const day = 86_400_000
  for (let u = 0; u < users; u++) {
    // Posts spread over two months, so the query has to pick buckets.
    let now = start + u * 1000
    const author = await FeedClient.open({ identity: Identity.generate(), storage, now: () => now })
    await author.setProfile({ name: `user ${u}` })
    for (let p = 0; p < postsEach; p++) {
      now = start + Math.floor((p * 60 * day) / postsEach) + u * 1000
      await author.post(`post ${p} of user ${u}: a few words of text, like a real short post`)
    }
    await author.close()
    const client = await FeedClient.open({ identity: reader, storage })
    await client.follow(author.userId)
    await client.close()
  }
  return { storage, reader }
}

/** Diagnostics a timeline exposes beyond the LiveQuery interface. */
function computations(query: object): number {
  return 'computations' in query && typeof query.computations === 'number'
    ? query.computations
    : Number.NaN
}

async function timelineQuery(storage: MemoryStorage, reader: Identity): Promise<void> {
  let computed = 0
  let checked = 0
  const firstPage = async (verifier?: RecordVerifier) => {
    const client = await FeedClient.open({ identity: reader, storage, verifier })
    const timeline = client.timeline({ pageSize: 20 })
    const view = await timeline.ready
    if (view.posts.length !== 20) throw new Error(`expected 20 posts, got ${view.posts.length}`)
    computed = computations(timeline)
    checked = verifier?.checked ?? 0
    timeline.close()
    await client.close()
  }
  const cold = await measure(() => firstPage(), 3, 1)
  console.log(
    `  first page of 20, cold client, signatures cached in process  ${fmt(cold)}  (${computed} computations)`,
  )
  const fresh = await measure(() => firstPage(new RecordVerifier()), 3, 0)
  console.log(
    `  first page of 20, cold client, fresh verifier             ${fmt(fresh)}  (${checked} signatures checked)`,
  )
  const client = await FeedClient.open({ identity: reader, storage })
  const warmup = client.timeline({ pageSize: 20 })
  await warmup.ready
  const warm = await measure(
    async () => {
      const timeline = client.timeline({ pageSize: 20 })
      await timeline.ready
      computed = computations(timeline)
      timeline.close()
    },
    5,
    1,
  )
  console.log(
    `  first page of 20, documents already open                  ${fmt(warm)}  (${computed} computations)`,
  )
  const before = computations(warmup)
  const more = await measure(() => warmup.loadMore(), 5, 0)
  console.log(
    `  loadMore (next 20)                                        ${fmt(more)}  (${(computations(warmup) - before) / 5} computations each)`,
  )
  warmup.close()
  await client.close()
}

/**
 * Opens `docIds` in a new DocStore over `storage` and waits until all are
 * loaded (and, with `verifyAll`, every record of the lazily read buckets
 * verified too); returns the number of visible records.
 */
async function openAll(
  storage: StorageAdapter,
  docIds: readonly DocId[],
  verifier: RecordVerifier,
  verifyAll: boolean,
): Promise<number> {
  const store = new DocStore({
    storage,
    identity: Identity.generate(),
    verifier,
    drops: new DropStats(),
  })
  await Promise.all(docIds.map((docId) => store.acquire(docId)))
  if (verifyAll) await Promise.all(docIds.map((docId) => store.verified(docId)))
  const records = docIds.reduce((n, docId) => n + (store.reader(docId)?.records.size ?? 0), 0)
  await store.close()
  return records
}

async function docStoreOpen(memory: MemoryStorage): Promise<void> {
  const all = await memory.listDocs()
  const users = all.filter((d) => d.startsWith('u/'))
  const newest = all
    .filter((d) => d.startsWith('p/'))
    .sort((a, b) => (a.slice(-7) < b.slice(-7) ? 1 : a.slice(-7) > b.slice(-7) ? -1 : 0))
  const docIds = [...users.slice(0, 500), ...newest.slice(0, 500)]
  const idb = await IndexedDbStorage.open('feedmesh-bench', { indexedDB: new IDBFactory() })
  for (const docId of docIds) {
    const { updates } = await memory.load(docId)
    for (const update of updates) await idb.append(docId, update, false)
  }
  console.log(
    `\nDocStore opening ${docIds.length} documents (${users.length} u/, the rest the newest p/ buckets)`,
  )
  for (const [name, storage] of [
    ['MemoryStorage', memory],
    ['IndexedDbStorage (fake-indexeddb)', idb],
  ] as const) {
    const shared = new RecordVerifier()
    await openAll(storage, docIds, shared, true)
    const cached = await measure(() => openAll(storage, docIds, shared, true), 3, 0)
    const lazy = await measure(() => openAll(storage, docIds, new RecordVerifier(), false), 3, 0)
    let records = 0
    const fresh = await measure(
      async () => {
        records = await openAll(storage, docIds, new RecordVerifier(), true)
      },
      3,
      0,
    )
    console.log(`  ${name}`)
    console.log(`    signatures cached, every record checked      ${fmt(cached)}`)
    console.log(`    fresh verifier, buckets lazy (as a timeline) ${fmt(lazy)}`)
    console.log(
      `    fresh verifier, every record verified        ${fmt(fresh)}  (${records} records)`,
    )
  }
  await idb.close()
}

if (process.env.BENCH_SKIP_VERIFY === undefined) await verificationRate()
const users = Number(process.env.BENCH_USERS ?? 500)
const postsEach = Number(process.env.BENCH_POSTS ?? 20)
const setup = performance.now()
const { storage, reader } = await timelineStorage(users, postsEach)
console.log(
  `\ntimeline over ${users} followed users x ${postsEach} posts (setup ${((performance.now() - setup) / 1000).toFixed(1)} s)`,
)
await timelineQuery(storage, reader)
await docStoreOpen(storage)
