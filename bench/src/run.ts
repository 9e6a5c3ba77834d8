/**
 * `pnpm bench`: feedmesh against the stock y-websocket server and
 * Hocuspocus, in one run on this machine.
 *
 * Every system gets the same seeded documents (see `seedData.ts`) and runs
 * in its own server process on 127.0.0.1; the clients run here. Scenarios:
 *
 * 1. cold subscribe: a fresh client opens every document and waits until
 *    all are synced; beside it, the decode floor (the same updates applied
 *    into fresh Y.Docs in this process).
 * 2. reconnect: the same client drops its connection(s) and catches up
 *    again, nothing having changed (feedmesh with resume).
 *
 * One warm-up run, then `BENCH_REPS` (default 5) repetitions; medians with
 * min and max. `BENCH_FULL=1` for 2,000 documents instead of 500.
 * `BENCH_DOCS` overrides the count (the smoke size).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SqliteStore } from '@feedmesh/relay'
import * as Y from 'yjs'
import type { BenchClient } from './clients/BenchClient.js'
import { feedmeshClient } from './clients/feedmeshClient.js'
import { hocuspocusClient } from './clients/hocuspocusClient.js'
import { yWebsocketClient } from './clients/yWebsocketClient.js'
import { newWire, resetWire, type Wire } from './countingSocket.js'
import { installedVersions, machine, type ResultRow, textTable, writeResults } from './report.js'
import { makeSeedDocs, type SeedDoc, writeSeedFile } from './seedData.js'
import { portUrl, relayUrl, rootDir, type ServerProcess, spawnServer } from './spawnServer.js'
import { type Spread, spread } from './stats.js'

const full = process.env.BENCH_FULL === '1'
const docCount = Number(process.env.BENCH_DOCS ?? (full ? 2000 : 500))
const repetitions = Number(process.env.BENCH_REPS ?? 5)

/** One system under test: how to start its server and make its client. */
interface System {
  name: string
  start(seedFile: string, docs: readonly SeedDoc[], tmp: string): Promise<ServerProcess>
  client(url: string, docIds: readonly string[], wire: Wire): BenchClient
}

const tsxServer =
  (file: string, extra: string[] = []) =>
  (seedFile: string) =>
    spawnServer(['--import', 'tsx', `src/servers/${file}`, '--seed', seedFile, ...extra], portUrl)

const systems: System[] = [
  {
    name: 'feedmesh',
    async start(_seedFile, docs, tmp) {
      const data = fs.mkdtempSync(path.join(tmp, 'relay-'))
      const store = await SqliteStore.open(data)
      for (const { docId, update } of docs) await store.append(docId, update)
      await store.close()
      const cli = path.join(rootDir, 'packages/relay/dist/cli.js')
      return spawnServer([cli, '--host', '127.0.0.1', '--port', '0', '--data', data], relayUrl)
    },
    client: feedmeshClient,
  },
  {
    name: 'y-websocket',
    start: tsxServer('yWebsocketServer.ts'),
    client: yWebsocketClient,
  },
  {
    name: 'Hocuspocus (defaults)',
    start: tsxServer('hocuspocusServer.ts'),
    client: hocuspocusClient,
  },
  {
    name: `Hocuspocus (maxPendingDocuments ${docCount})`,
    start: tsxServer('hocuspocusServer.ts', ['--max-pending', String(docCount)]),
    client: hocuspocusClient,
  },
]

/** One measured interval. */
interface Sample {
  ms: number
  cpuMs: number
  wire: Wire
}

async function timed(server: ServerProcess, wire: Wire, fn: () => Promise<void>): Promise<Sample> {
  resetWire(wire)
  const cpu0 = server.cpuMs()
  const t0 = performance.now()
  await fn()
  const ms = performance.now() - t0
  // Let the server finish accounting for the last frames before reading its CPU.
  await new Promise((r) => setTimeout(r, 20))
  return { ms, cpuMs: server.cpuMs() - cpu0, wire: { ...wire } }
}

function row(scenario: string, system: string, samples: readonly Sample[]): ResultRow {
  const med = (f: (w: Wire) => number) => spread(samples.map((s) => f(s.wire))).median
  return {
    scenario,
    system,
    ms: spread(samples.map((s) => s.ms)),
    serverCpuMs: spread(samples.map((s) => s.cpuMs)),
    sentMessages: med((w) => w.sentMessages),
    sentBytes: med((w) => w.sentBytes),
    receivedMessages: med((w) => w.receivedMessages),
    receivedBytes: med((w) => w.receivedBytes),
    sockets: med((w) => w.sockets),
  }
}

function failedRow(scenario: string, system: string, error: unknown): ResultRow {
  const message = error instanceof Error ? error.message : String(error)
  return {
    ...row(scenario, system, []),
    sentMessages: 0,
    sentBytes: 0,
    receivedMessages: 0,
    receivedBytes: 0,
    sockets: 0,
    error: message.split('\n')[0]!.slice(0, 120),
  }
}

/** Applies every seeded update into fresh Y.Docs, `repetitions` times after one warm-up. */
function decodeFloor(docs: readonly SeedDoc[]): Spread {
  const once = () => {
    const t0 = performance.now()
    for (const { update } of docs) Y.applyUpdate(new Y.Doc(), update)
    return performance.now() - t0
  }
  once()
  return spread(Array.from({ length: repetitions }, once))
}

/** Runs both scenarios on one system. */
async function runSystem(
  system: System,
  seedFile: string,
  docs: readonly SeedDoc[],
  tmp: string,
): Promise<ResultRow[]> {
  const server = await system.start(seedFile, docs, tmp)
  const docIds = docs.map((d) => d.docId)
  const cold: Sample[] = []
  const reconnect: Sample[] = []
  let phase = 'cold subscribe'
  try {
    for (let rep = 0; rep <= repetitions; rep++) {
      const wire = newWire()
      const client = system.client(server.url, docIds, wire)
      try {
        phase = 'cold subscribe'
        const c = await timed(server, wire, () => client.open())
        phase = 'reconnect, nothing changed'
        const r = await timed(server, wire, () => client.reconnect())
        if (rep > 0) {
          cold.push(c)
          reconnect.push(r)
        }
      } finally {
        await client.close()
      }
    }
    return [
      row('cold subscribe', system.name, cold),
      row('reconnect, nothing changed', system.name, reconnect),
    ]
  } catch (error) {
    return [failedRow(phase, system.name, error)]
  } finally {
    await server.stop()
  }
}

async function main(): Promise<void> {
  // y-websocket adds a process 'exit' listener per provider.
  process.setMaxListeners(0)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-bench-'))
  try {
    const docs = makeSeedDocs(docCount)
    const docBytes = Math.round(docs.reduce((n, d) => n + d.update.length, 0) / docs.length)
    const seedFile = path.join(tmp, 'seed.bin')
    writeSeedFile(seedFile, docs)
    console.log(`${docCount} documents of ~${docBytes} B; 1 warm-up + ${repetitions} repetitions`)
    const floor = decodeFloor(docs)
    const rows: ResultRow[] = []
    for (const system of systems) {
      console.log(`running ${system.name} ...`)
      rows.push(...(await runSystem(system, seedFile, docs, tmp)))
    }
    const order = (r: ResultRow) => (r.scenario.startsWith('cold') ? 0 : 1)
    rows.sort((a, b) => order(a) - order(b))
    console.log(
      `\ndecode floor: ${floor.median.toFixed(1)} ms (${floor.min.toFixed(1)}–${floor.max.toFixed(1)})`,
    )
    console.log(textTable(rows, floor))
    const notes = [
      'Times include connecting, (feedmesh) the signed handshake, and applying every update into a Y.Doc at the client.',
      'Bytes and messages are WebSocket payloads counted at the client sockets; server CPU is from /proc (10 ms ticks).',
      'feedmesh: one WebSocketTransport (authenticated, resume on), one SUBSCRIBE for every document; seeded straight into its SQLite store.',
      'y-websocket: one WebsocketProvider and socket per document; seeded into the server process memory.',
      'Hocuspocus: one HocuspocusProviderWebsocket shared by one HocuspocusProvider per document; seeded through onLoadDocument. Its default maxPendingDocuments (100) resets a socket that opens more documents at once; the documented fix is `new Server({ maxPendingDocuments: N })`, measured in its own row.',
    ]
    const files = writeResults(
      {
        size: full ? 'full' : 'quick',
        docs: docCount,
        docBytes,
        repetitions,
        ...machine(),
        versions: installedVersions([
          'yjs',
          'y-websocket',
          '@y/websocket-server',
          '@hocuspocus/server',
          '@hocuspocus/provider',
          'ws',
        ]),
      },
      floor,
      rows,
      notes,
    )
    console.log(`\nwritten: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

await main()
process.exit(0)
