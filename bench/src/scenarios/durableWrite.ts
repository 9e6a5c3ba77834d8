/**
 * Scenario durable write: how long a write waits for its acknowledgement,
 * and what the acknowledgement promises, on every system. One writer
 * writes small updates into one document, first one at a time (each
 * waiting for its acknowledgement), then with 16 in flight; latency is
 * from sending to the acknowledgement. feedmesh acknowledges once the
 * update is committed to SQLite (`synchronous = FULL`); y-websocket has no
 * acknowledgement (its echo, sent after the in-memory apply, stands in);
 * Hocuspocus acknowledges after the in-memory apply (`SyncStatus`, what
 * the provider's `unsyncedChanges` counts), also with its SQLite
 * extension, whose debounced store is timed separately: from sending the
 * write to the first completed store (`afterStoreDocument`) after it.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Identity } from '@feedmesh/core'
import { wallNow } from '../load/marker.js'
import { openRaw } from '../load/openRaw.js'
import { percentile } from '../load/percentile.js'
import type { SystemId } from '../load/rawConnection.js'
import { startSystem } from '../load/startSystem.js'
import {
  feedmeshUpdates,
  matchedSizes,
  plainUpdates,
  type UpdateMaker,
} from '../load/updateMakers.js'
import { unlimitedRates } from '../mesh/relayProcess.js'
import type { BenchContext, Chart, Scenario, ScenarioResult, Table } from '../scenario.js'
import type { ServerProcess } from '../spawnServer.js'
import { formatSpread, type Spread, spread } from '../stats.js'

/** Writes per phase, per run size. */
const Writes = { smoke: 50, quick: 1000, full: 1000 } as const
/** Writes in flight in the second phase. */
const IN_FLIGHT = 16
/** The relay's per-connection and per-user rate limits, lifted: they guard against abuse, not for durability. */

/** One configuration measured. */
interface Config {
  name: string
  system: SystemId
  flags(tmp: string, storeLog: string): string[]
  /** What its acknowledgement means. */
  ack: string
  /** Whether it logs completed stores (Hocuspocus with its SQLite extension). */
  stores: boolean
}

const configs: Config[] = [
  {
    name: 'feedmesh',
    system: 'feedmesh',
    flags: () => unlimitedRates,
    ack: 'ACK: committed to SQLite (synchronous FULL, group commit)',
    stores: false,
  },
  {
    name: 'y-websocket',
    system: 'y-websocket',
    flags: () => [],
    ack: 'none; echo of the update: applied in memory, never stored',
    stores: false,
  },
  {
    name: 'Hocuspocus',
    system: 'hocuspocus',
    flags: () => [],
    ack: 'SyncStatus: applied in memory (no storage configured)',
    stores: false,
  },
  {
    name: 'Hocuspocus + extension-sqlite',
    system: 'hocuspocus',
    flags: (tmp, storeLog) => [
      '--sqlite',
      path.join(tmp, `hocuspocus-${process.pid}-${Date.now()}.sqlite`),
      '--store-log',
      storeLog,
    ],
    ack: 'SyncStatus: applied in memory; stored 2 s after the last change (debounce; at most 10 s)',
    stores: true,
  },
]

/** One write: when it was sent and acknowledged (ms since the epoch). */
interface Write {
  sentAt: number
  ackAt: number
}

/** One phase of one run. */
interface Phase {
  docId: string
  /** Closes the phase's connection (left open so a debounced store is not forced by the close). */
  close(): Promise<void>
  writes: Write[]
  failed: number
  ms: number
}

/** Figures of one measured run. */
interface RunFigures {
  sequential: { p50: number; p99: number; perSecond: number; failed: number }
  inFlight: { p50: number; p99: number; perSecond: number; failed: number }
  /** Send to stored in the SQLite file (Hocuspocus + SQLite only). */
  stored?: {
    sequentialP50: number
    sequentialP99: number
    inFlightP50: number
    inFlightP99: number
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Writes `count` updates through a fresh connection, `concurrency` in flight; the caller closes it. */
async function phase(
  config: Config,
  server: ServerProcess,
  maker: UpdateMaker,
  owner: Identity,
  run: number,
  count: number,
  concurrency: number,
): Promise<Phase> {
  const connection = await openRaw(config.system, server.url, maker.docId, owner)
  const writes: Write[] = []
  let failed = 0
  let next = 0
  const t0 = performance.now()
  const worker = async () => {
    while (next < count) {
      const seq = next++
      const { update, key } = maker.next(run, seq)
      const sentAt = wallNow()
      try {
        await connection.write(update, key)
        writes.push({ sentAt, ackAt: wallNow() })
      } catch {
        failed++
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker))
  } catch (error) {
    await connection.close()
    throw error
  }
  const ms = performance.now() - t0
  return { docId: maker.docId, close: () => connection.close(), writes, failed, ms }
}

function phaseFigures(p: Phase) {
  const latencies = p.writes.map((w) => w.ackAt - w.sentAt)
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: (p.writes.length / p.ms) * 1000,
    failed: p.failed,
  }
}

/** Completed stores of `docId` in the store log. */
function storesOf(storeLog: string, docId: string): number[] {
  if (!fs.existsSync(storeLog)) return []
  return fs
    .readFileSync(storeLog, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { doc: string; at: number })
    .filter((entry) => entry.doc === docId)
    .map((entry) => entry.at)
    .sort((a, b) => a - b)
}

/** Waits (bounded) until every write of `p` is followed by a store; send-to-stored latencies. */
async function storedLatencies(storeLog: string, p: Phase): Promise<number[]> {
  const lastAck = Math.max(...p.writes.map((w) => w.ackAt))
  const deadline = performance.now() + 15_000
  let stores = storesOf(storeLog, p.docId)
  while (!stores.some((at) => at >= lastAck) && performance.now() < deadline) {
    await sleep(100)
    stores = storesOf(storeLog, p.docId)
  }
  return p.writes.map((w) => {
    const at = stores.find((s) => s >= w.ackAt)
    return at === undefined ? Number.POSITIVE_INFINITY : at - w.sentAt
  })
}

/** Measures one configuration: a server, a warm-up, then the runs. */
async function measureConfig(
  config: Config,
  started: Promise<ServerProcess>,
  storeLog: string,
  ctx: BenchContext,
  pad: number,
): Promise<{ runs: RunFigures[]; error?: string }> {
  const count = Writes[ctx.size]
  const owner = Identity.generate()
  const makerFor = (run: number, kind: string): UpdateMaker =>
    config.system === 'feedmesh'
      ? feedmeshUpdates(owner, `dw${run}${kind}`)
      : plainUpdates(`dw-${run}-${kind}`, pad)
  const runs: RunFigures[] = []
  let server: ServerProcess | undefined
  try {
    server = await started
    const warm = Math.min(100, count)
    await (await phase(config, server, makerFor(0, 's'), owner, 0, warm, 1)).close()
    await (await phase(config, server, makerFor(0, 'p'), owner, 0, warm, IN_FLIGHT)).close()
    for (let run = 1; run <= ctx.repetitions; run++) {
      const sequential = await phase(config, server, makerFor(run, 's'), owner, run, count, 1)
      if (!config.stores) await sequential.close()
      const inFlight = await phase(config, server, makerFor(run, 'p'), owner, run, count, IN_FLIGHT)
      const figures: RunFigures = {
        sequential: phaseFigures(sequential),
        inFlight: phaseFigures(inFlight),
      }
      if (config.stores) {
        const s = await storedLatencies(storeLog, sequential)
        const p = await storedLatencies(storeLog, inFlight)
        figures.stored = {
          sequentialP50: percentile(s, 50),
          sequentialP99: percentile(s, 99),
          inFlightP50: percentile(p, 50),
          inFlightP99: percentile(p, 99),
        }
      }
      await sequential.close()
      await inFlight.close()
      runs.push(figures)
    }
    return { runs }
  } catch (error) {
    return { runs, error: (error instanceof Error ? error.message : String(error)).split('\n')[0] }
  } finally {
    await server?.stop()
  }
}

/** Scenario 5: write-to-acknowledgement latency, and what the acknowledgement means. */
export const durableWrite: Scenario = {
  id: 'durableWrite',
  title: 'Durable write: write-to-ack latency and what the ack means',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const count = Writes[ctx.size]
    const { feedmeshBytes, pad } = matchedSizes()
    const results: { config: Config; runs: RunFigures[]; error?: string }[] = []
    // started together (an idle server costs nothing), measured one at a time
    const storeLogs = configs.map((_, i) => path.join(ctx.tmp, `stores-${i}.jsonl`))
    const started = configs.map((config, i) =>
      startSystem(config.system, { tmp: ctx.tmp, flags: config.flags(ctx.tmp, storeLogs[i]!) }),
    )
    for (const s of started) s.catch(() => {})
    for (const [i, config] of configs.entries()) {
      ctx.log(`durableWrite: ${config.name} ...`)
      results.push({
        config,
        ...(await measureConfig(config, started[i]!, storeLogs[i]!, ctx, pad)),
      })
    }
    const of = (runs: RunFigures[], f: (r: RunFigures) => number): Spread => spread(runs.map(f))
    const rows = results.map(({ config, runs, error }) => {
      if (runs.length === 0)
        return [config.name, config.ack, `failed: ${error ?? 'no run'}`, '', '', '', '', '', '']
      return [
        error === undefined ? config.name : `${config.name} (${error})`,
        config.ack,
        formatSpread(
          of(runs, (r) => r.sequential.p50),
          2,
        ),
        formatSpread(
          of(runs, (r) => r.sequential.p99),
          2,
        ),
        formatSpread(of(runs, (r) => r.sequential.perSecond)),
        formatSpread(
          of(runs, (r) => r.inFlight.p50),
          2,
        ),
        formatSpread(
          of(runs, (r) => r.inFlight.p99),
          2,
        ),
        formatSpread(of(runs, (r) => r.inFlight.perSecond)),
        String(runs.reduce((n, r) => n + r.sequential.failed + r.inFlight.failed, 0)),
      ]
    })
    const table: Table = {
      title: `Durable write: ${count} writes one at a time, then ${count} with ${IN_FLIGHT} in flight (median (min–max) of ${ctx.repetitions} runs)`,
      columns: [
        'system',
        'what the ack means',
        '1 at a time p50 ms',
        'p99 ms',
        'writes / s',
        `${IN_FLIGHT} in flight p50 ms`,
        'p99 ms',
        'writes / s',
        'failed',
      ],
      rows,
    }
    const tables: Table[] = [table]
    const sqlite = results.find((r) => r.config.stores)
    if (sqlite?.runs.some((r) => r.stored !== undefined)) {
      const stored = sqlite.runs.flatMap((r) => (r.stored === undefined ? [] : [r.stored]))
      const s = (f: (x: (typeof stored)[number]) => number) => formatSpread(spread(stored.map(f)))
      tables.push({
        title:
          'Hocuspocus + extension-sqlite: from sending a write to its row being stored in the SQLite file (ms)',
        columns: ['writes', 'p50 ms', 'p99 ms'],
        rows: [
          ['1 at a time', s((x) => x.sequentialP50), s((x) => x.sequentialP99)],
          [`${IN_FLIGHT} in flight`, s((x) => x.inFlightP50), s((x) => x.inFlightP99)],
        ],
      })
    }
    const measured = results.filter((r) => r.runs.length > 0)
    const charts: Chart[] = [
      {
        file: 'durable-write-p50',
        title: 'Write to ack, one at a time, p50 (feedmesh: durable; others: in memory)',
        unit: 'ms',
        lowerIsBetter: true,
        bars: measured.map(({ config, runs }) => {
          const s = of(runs, (r) => r.sequential.p50)
          return { label: config.name, value: s.median, min: s.min, max: s.max }
        }),
      },
      {
        file: 'durable-write-throughput',
        title: `Acknowledged writes per second, ${IN_FLIGHT} in flight`,
        unit: 'writes/s',
        lowerIsBetter: false,
        bars: measured.map(({ config, runs }) => {
          const s = of(runs, (r) => r.inFlight.perSecond)
          return { label: config.name, value: s.median, min: s.min, max: s.max }
        }),
      },
    ]
    const notes = [
      `Writes: feedmesh a signed chat message record (core's writeRecords, ${feedmeshBytes} B) into a fresh room document per phase, sent as UPDATE with a ref; the peers a plain Yjs map entry of the same size, on raw connections (load/rawConnection.ts).`,
      "feedmesh: the ACK is sent once the update passed the guard, was applied and its group commit to SQLite (WAL, synchronous FULL: fsync) finished; a write survives a power loss once acknowledged. The relay's per-connection and per-user rate limits are lifted for this scenario (--conn-rate, --user-rate and bursts 1000000): they are abuse guards and would otherwise refuse the 16-in-flight phase.",
      "y-websocket (@y/websocket-server 0.1.1, no persistence): the protocol has no acknowledgement; the server echoes every update to every connection of the document, the writer's included, right after applying it to its in-memory Y.Doc, and that echo is timed here. Nothing is stored; a restart loses everything.",
      "Hocuspocus 4.7: after applying an update to its in-memory Y.Doc the server answers SyncStatus(applied), which decrements the provider's unsyncedChanges (0 = 'synced'); that message is timed here. Without a storage extension nothing is stored.",
      'Hocuspocus + @hocuspocus/extension-sqlite 4.7 (`new SQLite({ database: file })`, better-sqlite3, default journal mode and synchronous FULL): the same in-memory ack. Storing runs in the debounced onStoreDocument hook: 2 s (`debounce`) after the last change of the document, at the latest 10 s (`maxDebounce`) after the first pending one, and writes the whole document (Y.encodeStateAsUpdate) as one row. A write acknowledged but not yet stored is lost if the process dies. The second table times each write from sending to the completion (afterStoreDocument) of the first store that finished after its ack.',
      'One warm-up run (100 writes each way) on the same server first; latencies are per write over the run, then the median (min–max) over runs.',
    ]
    return {
      tables,
      notes,
      charts,
      data: {
        writes: count,
        inFlight: IN_FLIGHT,
        feedmeshUpdateBytes: feedmeshBytes,
        configs: results.map(({ config, runs, error }) => ({
          name: config.name,
          ack: config.ack,
          runs,
          error,
        })),
      },
    }
  },
}
