/**
 * Scenario fan-out: one writer, many subscribers of one document, on every
 * system. The subscribers are raw connections (each system's minimal
 * handshake, `load/rawConnection.ts`) in two child processes that only
 * look for the writer's marker in each frame, so the load generator never
 * becomes the bottleneck; the writer (here) sends small updates at a fixed
 * rate: signed chat message records into a feedmesh room, plain Yjs map
 * entries of the same size to the peers. Per run: server CPU per update
 * (from /proc), delivery latency p50/p99 (writer's timestamp in the update
 * to receipt), deliveries per second, and what is missing or duplicated
 * per subscriber.
 */
import { Identity } from '@feedmesh/core'
import { wallNow } from '../load/marker.js'
import { openRaw } from '../load/openRaw.js'
import { percentile } from '../load/percentile.js'
import { type RawConnection, type SystemId, SystemIds } from '../load/rawConnection.js'
import { startSystem } from '../load/startSystem.js'
import { startSubscribers } from '../load/subscriberPool.js'
import {
  feedmeshUpdates,
  matchedSizes,
  plainUpdates,
  type UpdateMaker,
} from '../load/updateMakers.js'
import type { BenchContext, Chart, Scenario, ScenarioResult, Table } from '../scenario.js'
import type { ServerProcess } from '../spawnServer.js'
import { formatSpread, type Spread, spread } from '../stats.js'

/** Sizes of the scenario per run size. */
const Sizes = {
  smoke: { subscribers: 50, updates: 20, rate: 50, processes: 1 },
  quick: { subscribers: 1000, updates: 100, rate: 40, processes: 2 },
  full: { subscribers: 2000, updates: 200, rate: 40, processes: 2 },
} as const

/** Figures of one measured run. */
interface RunFigures {
  cpuPerUpdateMs: number
  p50Ms: number
  p99Ms: number
  deliveredPerSecond: number
  missing: number
  duplicates: number
  subscribersMissing: number
}

/** Everything measured on one system. */
interface SystemFigures {
  system: SystemId
  subscribers: number
  runs: RunFigures[]
  error?: string
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Runs `updates` writes at `rate` per second and waits for every delivery (or a stall). */
async function measureRun(
  server: ServerProcess,
  writer: RawConnection,
  maker: UpdateMaker,
  pool: Awaited<ReturnType<typeof startSubscribers>>,
  run: number,
  updates: number,
  rate: number,
): Promise<RunFigures> {
  await pool.beginRun(run, updates)
  const expected = pool.opened * updates
  const acks: Promise<void>[] = []
  let ackErrors = 0
  const cpu0 = server.cpuMs()
  const start = performance.now()
  const firstSentAt = wallNow()
  for (let seq = 0; seq < updates; seq++) {
    const due = start + (seq * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    const { update, key } = maker.next(run, seq)
    acks.push(writer.write(update, key).catch(() => void ackErrors++))
  }
  // Wait for every delivery; give up after 5 s without progress.
  let delivered = 0
  let lastProgress = performance.now()
  while (delivered < expected && performance.now() - lastProgress < 5000) {
    await sleep(50)
    const now = await pool.delivered()
    if (now > delivered) lastProgress = performance.now()
    delivered = now
  }
  await sleep(50)
  const cpuMs = server.cpuMs() - cpu0
  await Promise.race([Promise.all(acks), sleep(2000)])
  const tally = await pool.collect()
  const received = tally.perSubscriber.reduce((n, c) => n + c, 0)
  const seconds = (tally.lastAt - firstSentAt) / 1000
  return {
    cpuPerUpdateMs: cpuMs / updates,
    p50Ms: percentile(tally.latencies, 50),
    p99Ms: percentile(tally.latencies, 99),
    deliveredPerSecond: seconds > 0 ? received / seconds : 0,
    missing: expected - received,
    duplicates: tally.duplicates,
    subscribersMissing: tally.perSubscriber.filter((c) => c < updates).length,
  }
}

/** Measures one system: a server, a writer, the subscriber processes, warm-up and runs. */
async function measureSystem(
  system: SystemId,
  started: Promise<ServerProcess>,
  ctx: BenchContext,
  pad: number,
): Promise<SystemFigures> {
  const size = Sizes[ctx.size]
  const owner = Identity.generate()
  const maker: UpdateMaker =
    system === SystemIds.Feedmesh
      ? feedmeshUpdates(owner, 'bench')
      : plainUpdates('bench-room', pad)
  const figures: SystemFigures = { system, subscribers: 0, runs: [] }
  let server: ServerProcess | undefined
  let pool: Awaited<ReturnType<typeof startSubscribers>> | undefined
  let writer: RawConnection | undefined
  try {
    server = await started
    writer = await openRaw(system, server.url, maker.docId, owner)
    pool = await startSubscribers({
      system,
      url: server.url,
      docId: maker.docId,
      count: size.subscribers,
      processes: size.processes,
    })
    figures.subscribers = pool.opened
    if (pool.opened < size.subscribers) {
      figures.error = `${pool.opened} of ${size.subscribers} subscribers connected: ${pool.errors[0] ?? ''}`
    }
    if (pool.opened === 0) return figures
    ctx.log(`  ${system}: ${pool.opened} subscribers connected`)
    const warmUpdates = Math.min(20, size.updates)
    await measureRun(server, writer, maker, pool, 0, warmUpdates, size.rate)
    for (let run = 1; run <= ctx.repetitions; run++) {
      await pool.keepAlive()
      writer.keepAlive()
      await sleep(200)
      figures.runs.push(await measureRun(server, writer, maker, pool, run, size.updates, size.rate))
    }
    return figures
  } catch (error) {
    figures.error = (error instanceof Error ? error.message : String(error)).split('\n')[0]
    return figures
  } finally {
    await pool?.close()
    await writer?.close()
    await server?.stop()
  }
}

const systemNames: Record<SystemId, string> = {
  feedmesh: 'feedmesh',
  'y-websocket': 'y-websocket',
  hocuspocus: 'Hocuspocus',
}

function summary(figures: SystemFigures) {
  const of = (f: (r: RunFigures) => number): Spread => spread(figures.runs.map(f))
  return {
    cpu: of((r) => r.cpuPerUpdateMs),
    p50: of((r) => r.p50Ms),
    p99: of((r) => r.p99Ms),
    rate: of((r) => r.deliveredPerSecond),
    missing: figures.runs.reduce((n, r) => n + r.missing, 0),
    duplicates: figures.runs.reduce((n, r) => n + r.duplicates, 0),
  }
}

/** Scenario 4: fan-out of one writer's updates to many subscribers. */
export const fanout: Scenario = {
  id: 'fanout',
  title: 'Fan-out: one writer, many subscribers of one document',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const size = Sizes[ctx.size]
    const { feedmeshBytes, pad } = matchedSizes()
    const systems = Object.values(SystemIds)
    // started together (an idle server costs nothing), measured one at a time
    const started = systems.map((system) => startSystem(system, { tmp: ctx.tmp }))
    for (const s of started) s.catch(() => {})
    const all: SystemFigures[] = []
    for (const [i, system] of systems.entries()) {
      ctx.log(`fanout: ${system} ...`)
      all.push(await measureSystem(system, started[i]!, ctx, pad))
    }
    const feedmeshCpu = all[0] !== undefined ? summary(all[0]).cpu.median : Number.NaN
    const rows = all.map((f) => {
      const s = summary(f)
      const name = systemNames[f.system]
      if (f.runs.length === 0) {
        return [name, String(f.subscribers), `failed: ${f.error ?? 'no run'}`, '', '', '', '', '']
      }
      return [
        f.error === undefined ? name : `${name} (${f.error})`,
        String(f.subscribers),
        formatSpread(s.cpu, 2),
        f.system === 'feedmesh' ? '1.00' : (s.cpu.median / feedmeshCpu).toFixed(2),
        formatSpread(s.p50, 1),
        formatSpread(s.p99, 1),
        formatSpread(s.rate),
        `${s.missing} / ${s.duplicates}`,
      ]
    })
    const table: Table = {
      title: `Fan-out: ${size.updates} updates at ${size.rate}/s to ${size.subscribers} subscribers of one document (median (min–max) of ${ctx.repetitions} runs)`,
      columns: [
        'system',
        'subscribers',
        'server CPU ms / update',
        'x feedmesh CPU',
        'delivery p50 ms',
        'delivery p99 ms',
        'deliveries / s',
        'missing / duplicate',
      ],
      rows,
    }
    const bars = (pick: (s: ReturnType<typeof summary>) => Spread) =>
      all
        .filter((f) => f.runs.length > 0)
        .map((f) => {
          const s = pick(summary(f))
          return { label: systemNames[f.system], value: s.median, min: s.min, max: s.max }
        })
    const charts: Chart[] = [
      {
        file: 'fanout-cpu',
        title: `Server CPU per update, ${size.subscribers} subscribers`,
        unit: 'ms',
        lowerIsBetter: true,
        bars: bars((s) => s.cpu),
      },
      {
        file: 'fanout-p99',
        title: `Delivery latency p99, ${size.subscribers} subscribers`,
        unit: 'ms',
        lowerIsBetter: true,
        bars: bars((s) => s.p99),
      },
    ]
    const notes = [
      `Updates: feedmesh a signed chat message record (core's writeRecords) in a room document, ${feedmeshBytes} B; the peers a plain Yjs map entry padded to the same size.`,
      'Subscribers are raw WebSocket connections in child processes: feedmesh HELLO/AUTH (a fresh Identity each)/SUBSCRIBE; y-websocket sync step 1/2 on its own socket each; Hocuspocus Auth + sync step 1/2 on its own socket each. They only search each frame for the update marker, they apply nothing.',
      'Server CPU is user + system time of the server process from /proc over the run (10 ms ticks), divided by the updates written; latency is from the writer stamping the update (before signing, for feedmesh) to a subscriber receiving the frame, over every delivery.',
      `The writer sends at a fixed rate (${size.rate}/s), so deliveries per second is bounded by rate × subscribers; it drops when a server falls behind. One warm-up run of ${Math.min(20, size.updates)} updates first.`,
      'Every system in its default configuration; the feedmesh writer is the room owner, authenticated, and waits for nothing (its ACKs are counted only for errors).',
    ]
    return {
      tables: [table],
      notes,
      charts,
      data: { size, feedmeshUpdateBytes: feedmeshBytes, systems: all },
    }
  },
}
