/**
 * Benchmark of SqliteStore (not a test; run with tsx):
 *
 *   cd packages/relay && npx tsx test/storeBench.ts [seconds-per-case]
 *
 * Appends per second with group commit in both synchronous modes, for
 * several numbers of appends in flight (1 = one commit per append), plus
 * the cost of changesSince among many documents, of load (with and without
 * the Yjs check) and of compaction. The data directory is on the same disk
 * as the OS temp directory (set TMPDIR to measure another disk).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as Y from 'yjs'
import { SqliteStore, type SyncMode, SyncModes } from '../src/store/SqliteStore.js'

const seconds = Number(process.argv[2] ?? '3')

function update(i: number): Uint8Array {
  const doc = new Y.Doc()
  let out: Uint8Array = new Uint8Array()
  doc.on('update', (u: Uint8Array) => {
    out = u
  })
  doc.getMap('records').set(`author/post${i}/1/1`, { body: 'x'.repeat(200), at: i })
  return out
}

async function appendRate(sync: SyncMode, inFlight: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-bench-'))
  const store = await SqliteStore.open(dir, { synchronous: sync, autoCompact: false })
  const updates = Array.from({ length: 256 }, (_, i) => update(i))
  let done = 0
  let commits = 0
  const start = performance.now()
  const end = start + seconds * 1000
  while (performance.now() < end) {
    const burst: Promise<number>[] = []
    for (let i = 0; i < inFlight; i++) {
      burst.push(store.append(`p/user${(done + i) % 1000}/2026-03`, updates[(done + i) % 256]!))
    }
    await Promise.all(burst)
    done += inFlight
    commits++
  }
  const elapsed = (performance.now() - start) / 1000
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
  return `${sync.padEnd(6)} in flight ${String(inFlight).padStart(5)}: ${Math.round(done / elapsed)
    .toString()
    .padStart(7)} appends/s, ${Math.round(commits / elapsed)} commits/s`
}

async function queries(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-bench-'))
  const store = await SqliteStore.open(dir, { synchronous: SyncModes.Normal, autoCompact: false })
  const u = update(0)
  const docs = 100_000
  let t = performance.now()
  for (let i = 0; i < docs; i += 5000) {
    await Promise.all(
      Array.from({ length: 5000 }, (_, j) => store.append(`p/user${i + j}/2026-03`, u)),
    )
  }
  console.log(`fill ${docs} documents: ${Math.round(performance.now() - t)} ms`)
  const mark = await store.head()
  for (let i = 0; i < 100; i++) await store.append(`p/user${i * 997}/2026-03`, u)
  t = performance.now()
  const reps = 1000
  for (let i = 0; i < reps; i++) await store.changesSince(mark, 1000)
  console.log(
    `changesSince among ${docs} documents, 100 changed: ${((performance.now() - t) / reps).toFixed(3)} ms`,
  )
  t = performance.now()
  for (let i = 0; i < 100; i++) await store.changesSince(0, 1000)
  console.log(`changesSince(0, 1000) page: ${((performance.now() - t) / 100).toFixed(3)} ms`)
  // one document with 200 updates
  const doc = new Y.Doc()
  const ups: Uint8Array[] = []
  doc.on('update', (x: Uint8Array) => ups.push(x))
  for (let i = 0; i < 200; i++) doc.getMap('records').set(`a/p${i}/1/1`, { body: 'y'.repeat(200) })
  await Promise.all(ups.map((x) => store.append('big', x)))
  await store.close()
  for (const verifyOnLoad of [true, false]) {
    const s = await SqliteStore.open(dir, { verifyOnLoad, autoCompact: false })
    t = performance.now()
    for (let i = 0; i < 200; i++) await s.load('big')
    console.log(
      `load of 200 updates (verifyOnLoad ${verifyOnLoad}): ${((performance.now() - t) / 200).toFixed(3)} ms`,
    )
    await s.close()
  }
  const s = await SqliteStore.open(dir, { autoCompact: false })
  t = performance.now()
  await s.compact('big')
  console.log(`compact 200 updates: ${(performance.now() - t).toFixed(2)} ms`)
  t = performance.now()
  for (let i = 0; i < 200; i++) await s.load('big')
  console.log(`load after compaction: ${((performance.now() - t) / 200).toFixed(3)} ms`)
  t = performance.now()
  await s.close()
  const reopened = performance.now()
  const again = await SqliteStore.open(dir)
  console.log(`open of ${docs} documents: ${(performance.now() - reopened).toFixed(1)} ms`)
  await again.close()
  fs.rmSync(dir, { recursive: true, force: true })
}

for (const sync of [SyncModes.Full, SyncModes.Normal]) {
  for (const inFlight of [1, 10, 100, 1000]) console.log(await appendRate(sync, inFlight))
}
await queries()
