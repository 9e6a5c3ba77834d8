/**
 * Scenario memory: what a server holds per loaded document and per idle
 * connection, and whether its heap comes back once every client left.
 * Each server runs with the memory probe (`servers/memoryProbe.ts`,
 * `--expose-gc`): every figure is read after a forced full garbage
 * collection. Steps, per system, on one fresh server:
 *
 * 0. warm-up: a smaller round of the same steps (a few connections, a
 *    fifth as many documents of their own, loaded and left, the idle time
 *    passed), so that code compiled and optimised on first use is part of
 *    the baseline instead of being counted as memory kept after everyone
 *    left (with 50 warm-up documents about 0.5 MiB of the relay's growth
 *    was optimised code);
 * 1. start: baseline;
 * 2. idle connections (raw, each joined to one shared document, opened
 *    here): figures with them open; then they close;
 * 3. one client loads every seeded document (feedmesh: one connection,
 *    one SUBSCRIBE; Hocuspocus: one shared socket, a provider per
 *    document; y-websocket: one socket per document pushing the document,
 *    closed again, since its documents live in server memory without a
 *    client): figures with the documents loaded;
 * 4. the client leaves; the idle time passes (the relay with a short
 *    `--idle-unload-ms` and `--subscription-set-idle-ms`); figures again,
 *    against the baseline.
 */
import path from 'node:path'
import { Identity, roomDocId } from '@feedmesh/core'
import { feedmeshClient } from '../clients/feedmeshClient.js'
import { hocuspocusClient } from '../clients/hocuspocusClient.js'
import { newWire } from '../countingSocket.js'
import { openRaw } from '../load/openRaw.js'
import type { RawConnection, SystemId } from '../load/rawConnection.js'
import { readMemory, type ServerMemory } from '../load/readMemory.js'
import { httpUrlOf, startSystem } from '../load/startSystem.js'
import { openYWebsocket } from '../load/yWebsocketRaw.js'
import type { BenchContext, Chart, Scenario, ScenarioResult, Table } from '../scenario.js'
import { makeSeedDocs, type SeedDoc, writeSeedFile } from '../seedData.js'
import type { ServerProcess } from '../spawnServer.js'

/** Sizes per run size. */
const Sizes = {
  smoke: { docs: 200, connections: 50 },
  quick: { docs: 5000, connections: 500 },
  full: { docs: 5000, connections: 500 },
} as const

/** The relay's idle unload time in this scenario, ms (default 60 s). */
const IDLE_UNLOAD_MS = 500
/** How long the peers get after the last client left, ms. */
const PEER_IDLE_WAIT_MS = 500
/** Connections and documents of the warm-up round (step 0). */
const WARM_CONNECTIONS = 10
const WARM_DOCS = 1000

/** What each system does with a document nobody uses any more. */
const unloadPolicy: Record<SystemId, string> = {
  feedmesh: `unloads it after --idle-unload-ms (${IDLE_UNLOAD_MS} ms here, default 60 s) and forgets the client's subscription set after --subscription-set-idle-ms (${IDLE_UNLOAD_MS} ms here, default 1 h)`,
  'y-websocket': 'keeps it in memory forever (without a persistence adapter)',
  hocuspocus: 'unloads it when its last connection closes (after a pending store)',
}

const systemNames: Record<SystemId, string> = {
  feedmesh: 'feedmesh',
  'y-websocket': 'y-websocket',
  hocuspocus: 'Hocuspocus',
}

/** Figures of one system. */
interface SystemFigures {
  system: SystemId
  start?: ServerMemory
  withConnections?: ServerMemory
  connections: number
  beforeDocs?: ServerMemory
  withDocs?: ServerMemory
  docs: number
  afterLeaving?: ServerMemory
  /** Documents the relay still had loaded at the end (from /healthz). */
  relayDocsLoadedAfter?: number
  error?: string
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function relayDocsLoaded(url: string): Promise<number> {
  const response = await fetch(`${httpUrlOf(url)}/healthz`)
  return ((await response.json()) as { documentsLoaded: number }).documentsLoaded
}

/** Loads every document through one client; returns how to make it leave. */
async function loadDocs(
  system: SystemId,
  url: string,
  docs: readonly SeedDoc[],
): Promise<() => Promise<void>> {
  const docIds = docs.map((d) => d.docId)
  switch (system) {
    case 'feedmesh': {
      const client = feedmeshClient(url, docIds, newWire())
      await client.open()
      return () => client.close()
    }
    case 'hocuspocus': {
      const client = hocuspocusClient(url, docIds, newWire())
      await client.open()
      return () => client.close()
    }
    case 'y-websocket': {
      let next = 0
      const worker = async () => {
        while (next < docs.length) {
          const doc = docs[next++]!
          const connection = await openYWebsocket(url, doc.docId)
          // the records carry their document id: the echo of the update contains it
          await connection.write(doc.update, doc.docId)
          await connection.close()
        }
      }
      await Promise.all(Array.from({ length: 50 }, worker))
      return async () => {}
    }
  }
}

/** Opens `count` raw connections to `docId` into `into`, 50 at a time. */
async function openConnections(
  system: SystemId,
  url: string,
  docId: string,
  count: number,
  into: RawConnection[],
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) {
      next++
      into.push(await openRaw(system, url, docId))
    }
  }
  await Promise.all(Array.from({ length: 50 }, worker))
}

/** Server flags of each system in this scenario. */
function flagsOf(system: SystemId, seedFile: string, docs: number): string[] {
  switch (system) {
    case 'feedmesh':
      return [
        '--idle-unload-ms',
        String(IDLE_UNLOAD_MS),
        '--subscription-set-idle-ms',
        String(IDLE_UNLOAD_MS),
      ]
    case 'hocuspocus':
      return ['--seed', seedFile, '--max-pending', String(docs)]
    case 'y-websocket':
      return []
  }
}

async function measureSystem(
  system: SystemId,
  started: Promise<ServerProcess>,
  ctx: BenchContext,
  docs: readonly SeedDoc[],
  warmDocs: readonly SeedDoc[],
  idleDocId: string,
): Promise<SystemFigures> {
  const size = Sizes[ctx.size]
  const figures: SystemFigures = { system, connections: 0, docs: 0 }
  let server: ServerProcess | undefined
  try {
    server = await started
    const warm: RawConnection[] = []
    try {
      await openConnections(system, server.url, idleDocId, WARM_CONNECTIONS, warm)
    } finally {
      await Promise.all(warm.map((c) => c.close()))
    }
    await (await loadDocs(system, server.url, warmDocs))()
    await waitIdle(system, server)
    figures.start = await readMemory(server.pid)
    ctx.log(`  ${system}: started`)
    const idle: RawConnection[] = []
    try {
      await openConnections(system, server.url, idleDocId, size.connections, idle)
      figures.connections = idle.length
      figures.withConnections = await readMemory(server.pid)
      ctx.log(`  ${system}: connections`)
    } finally {
      await Promise.all(idle.map((c) => c.close()))
    }
    await sleep(300)
    figures.beforeDocs = await readMemory(server.pid)
    const leave = await loadDocs(system, server.url, docs)
    figures.docs = docs.length
    figures.withDocs = await readMemory(server.pid)
    ctx.log(`  ${system}: loaded`)
    await leave()
    figures.relayDocsLoadedAfter = await waitIdle(system, server)
    figures.afterLeaving = await readMemory(server.pid)
    return figures
  } catch (error) {
    figures.error = (error instanceof Error ? error.message : String(error)).split('\n')[0]
    return figures
  } finally {
    await server?.stop()
  }
}

/**
 * Waits until the server let go of what its clients left (the relay: its
 * idle unload, until `/healthz` shows no document loaded; the peers: a
 * short wait); returns the relay's documents still loaded.
 */
async function waitIdle(system: SystemId, server: ServerProcess): Promise<number | undefined> {
  if (system !== 'feedmesh') {
    await sleep(PEER_IDLE_WAIT_MS)
    return undefined
  }
  const deadline = performance.now() + 15_000
  await sleep(IDLE_UNLOAD_MS)
  while ((await relayDocsLoaded(server.url)) > 0 && performance.now() < deadline) await sleep(200)
  return relayDocsLoaded(server.url)
}

const kib = (bytes: number) => (bytes / 1024).toFixed(2)
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)

/** Per-item growth from `a` to `b` over `n` items, bytes. */
function perItem(a: ServerMemory | undefined, b: ServerMemory | undefined, n: number) {
  if (a === undefined || b === undefined || n === 0) return undefined
  return {
    heap: (b.heapUsed - a.heapUsed) / n,
    external: (b.external - a.external) / n,
    rss: (b.rss - a.rss) / n,
  }
}

/** Scenario 6: memory per loaded document and per idle connection, and heap after everyone left. */
export const memory: Scenario = {
  id: 'memory',
  title: 'Memory: per loaded document, per idle connection, after everyone left',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const size = Sizes[ctx.size]
    ctx.log(`memory: generating ${size.docs} documents ...`)
    const seeded = makeSeedDocs(size.docs + WARM_DOCS)
    const docs = seeded.slice(0, size.docs)
    const warmDocs = seeded.slice(size.docs)
    const docBytes = Math.round(docs.reduce((n, d) => n + d.update.length, 0) / docs.length)
    const seedFile = path.join(ctx.tmp, 'memory-seed.bin')
    writeSeedFile(seedFile, seeded)
    const idleDocId = roomDocId(Identity.generate().userId, 'idle')
    const systems = ['feedmesh', 'y-websocket', 'hocuspocus'] as const
    // started together (an idle server costs nothing), measured one at a time
    const started = systems.map((system) =>
      startSystem(system, {
        tmp: ctx.tmp,
        probe: true,
        flags: flagsOf(system, seedFile, seeded.length),
        ...(system === 'feedmesh' ? { seed: seeded } : {}),
      }),
    )
    for (const s of started) s.catch(() => {})
    const all: SystemFigures[] = []
    for (const [i, system] of systems.entries()) {
      ctx.log(`memory: ${system} ...`)
      all.push(await measureSystem(system, started[i]!, ctx, docs, warmDocs, idleDocId))
    }
    const perDoc = (f: SystemFigures) => perItem(f.beforeDocs, f.withDocs, f.docs)
    const perConn = (f: SystemFigures) => perItem(f.start, f.withConnections, f.connections)
    const loadRows = all.map((f) => {
      const d = perDoc(f)
      const c = perConn(f)
      const name =
        f.error === undefined
          ? systemNames[f.system]
          : `${systemNames[f.system]} (failed: ${f.error})`
      return [
        name,
        d === undefined ? 'n/a' : kib(d.heap),
        d === undefined ? 'n/a' : kib(d.external),
        d === undefined ? 'n/a' : kib(d.rss),
        c === undefined ? 'n/a' : kib(c.heap),
        c === undefined ? 'n/a' : kib(c.external),
        c === undefined ? 'n/a' : kib(c.rss),
      ]
    })
    const afterRows = all.map((f) => {
      const back =
        f.start === undefined || f.afterLeaving === undefined
          ? 'n/a'
          : `${(((f.afterLeaving.heapUsed - f.start.heapUsed) / f.start.heapUsed) * 100).toFixed(1)} %`
      return [
        systemNames[f.system],
        unloadPolicy[f.system],
        f.start === undefined ? 'n/a' : mib(f.start.heapUsed),
        f.withDocs === undefined ? 'n/a' : mib(f.withDocs.heapUsed),
        f.afterLeaving === undefined ? 'n/a' : mib(f.afterLeaving.heapUsed),
        back,
        f.start === undefined || f.afterLeaving === undefined
          ? 'n/a'
          : `${mib(f.start.rss)} → ${mib(f.afterLeaving.rss)}`,
      ]
    })
    const tables: Table[] = [
      {
        title: `Memory per loaded document (${size.docs} documents of ~${docBytes} B) and per idle connection (${size.connections}), KiB, after forced GC`,
        columns: [
          'system',
          'heap / doc',
          'external / doc',
          'RSS / doc',
          'heap / connection',
          'external / connection',
          'RSS / connection',
        ],
        rows: loadRows,
      },
      {
        title:
          'After every client left and the idle time passed: heap against the start (MiB, after forced GC)',
        columns: [
          'system',
          'unused documents',
          'heap at start',
          'heap with documents',
          'heap after',
          'after vs start',
          'RSS start → after',
        ],
        rows: afterRows,
      },
    ]
    const bar = (f: SystemFigures, pick: (f: SystemFigures) => { heap: number } | undefined) => {
      const v = pick(f)
      return v === undefined ? [] : [{ label: systemNames[f.system], value: v.heap / 1024 }]
    }
    const charts: Chart[] = [
      {
        file: 'memory-per-doc',
        title: `Server heap per loaded document (~${docBytes} B each)`,
        unit: 'KiB',
        lowerIsBetter: true,
        bars: all.flatMap((f) => bar(f, perDoc)),
      },
      {
        file: 'memory-per-connection',
        title: 'Server heap per idle connection',
        unit: 'KiB',
        lowerIsBetter: true,
        bars: all.flatMap((f) => bar(f, perConn)),
      },
    ]
    const relay = all.find((f) => f.system === 'feedmesh')
    const notes = [
      'Every figure is process.memoryUsage() of the server process after two forced full garbage collections (--expose-gc, triggered by a signal through the preload servers/memoryProbe.ts, which every server, the relay included, runs with); one pass per system, since the figures after GC barely vary.',
      'Per document: growth from just before loading to all loaded, over the documents; per connection: growth from the start to all connections open, over the connections. External memory is ArrayBuffers and other memory outside the V8 heap; RSS includes allocator slack and (feedmesh) the SQLite page cache.',
      `Documents: the same ${size.docs} posts documents as the other scenarios (4 signed posts each, ~${docBytes} B of update). feedmesh loads them from its SQLite store when one authenticated connection subscribes to all in one SUBSCRIBE; Hocuspocus from onLoadDocument (the seed file, maxPendingDocuments raised to ${size.docs}) through one shared socket with a provider per document; y-websocket has no loading hook without a persistence adapter, so one socket per document pushes the document's update and closes, and the document stays in server memory.`,
      'Idle connections: raw connections from the benchmark process, each joined to one shared document: feedmesh HELLO/AUTH/SUBSCRIBE, y-websocket sync step 1/2, Hocuspocus Auth + sync step 1/2.',
      `Before the baseline, every server went through a warm-up round (${WARM_CONNECTIONS} connections, ${WARM_DOCS} documents of their own, loaded and left): code compiled and optimised on first use is then in the baseline, not counted as memory kept. y-websocket keeps the warm-up documents too, so its baseline is higher than the others'.`,
      `Unloading: the relay ran with --idle-unload-ms ${IDLE_UNLOAD_MS}; its /healthz reported ${relay?.relayDocsLoadedAfter ?? 'n/a'} documents loaded at the end. @y/websocket-server without persistence never removes a document (with a persistence adapter it writes and drops it when its last connection closes); Hocuspocus unloads a document when its last connection closes (unloadImmediately, after any pending debounced store). The peers got ${PEER_IDLE_WAIT_MS} ms after the last client left.`,
    ]
    return {
      tables,
      notes,
      charts,
      data: { size, docBytes, idleUnloadMs: IDLE_UNLOAD_MS, systems: all },
    }
  },
}
