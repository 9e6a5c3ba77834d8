/**
 * Scenario capacity: does adding relays add capacity? The same client
 * load is served by 1, 2 and 3 meshed relay processes (full mesh, each
 * relay trusting the others' keys, SQLite stores in the scratch
 * directory).
 *
 * The load: raw protocol readers (unauthenticated, each subscribed to a
 * few thread documents) and authenticated writers (each writing signed
 * comments into its own documents), both spread evenly over the relays,
 * in load-generator processes (`mesh/loadWorker.ts`). With more than one
 * relay, a reader subscribes only to documents written at other relays,
 * so every delivery crosses a peer link; every document has the same
 * number of readers in every configuration. Two phases, each one warm-up
 * plus the context's repetitions: writers at a fixed offered rate
 * (latency), and writers keeping a window of unacknowledged writes each
 * (closed loop: what the mesh sustains). Measured: relay CPU per process
 * (from /proc), end-to-end delivery latency (the write's monotonic
 * timestamp, carried in the comment, to its receipt at a reader), writes
 * acknowledged per second and deliveries per second.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { threadDocId } from '@feedmesh/core'
import { FastSigner } from '../mesh/FastSigner.js'
import type { ConnectionJob, PaceMode, PhaseResult } from '../mesh/loadProtocol.js'
import { PaceModes } from '../mesh/loadProtocol.js'
import { type LoadWorkers, startLoadWorkers } from '../mesh/loadWorkers.js'
import {
  allCaughtUp,
  type BenchRelay,
  freePort,
  relayKeyOf,
  startBenchRelay,
} from '../mesh/relayProcess.js'
import type { BenchContext, Chart, Scenario, ScenarioResult, Table } from '../scenario.js'
import { formatSpread, type Spread, spread } from '../stats.js'

/** The load of one size. */
interface LoadShape {
  readers: number
  writers: number
  docs: number
  /** Documents each reader subscribes. */
  docsPerReader: number
  /** Offered writes per second per writer in the rate phase. */
  ratePerWriter: number
  /** Unacknowledged writes per writer in the window phase. */
  window: number
  durationMs: number
  drainMs: number
  warmups: number
  /** Load-generator processes. */
  workers: number
}

const shapes: Record<BenchContext['size'], LoadShape> = {
  smoke: {
    readers: 30,
    writers: 6,
    docs: 12,
    docsPerReader: 4,
    ratePerWriter: 5,
    window: 2,
    durationMs: 500,
    drainMs: 200,
    warmups: 0,
    workers: 2,
  },
  quick: {
    readers: 300,
    writers: 6,
    docs: 60,
    docsPerReader: 10,
    ratePerWriter: 10,
    window: 4,
    durationMs: 2000,
    drainMs: 500,
    warmups: 1,
    workers: 2,
  },
  full: {
    readers: 900,
    writers: 12,
    docs: 120,
    docsPerReader: 10,
    ratePerWriter: 15,
    window: 4,
    durationMs: 5000,
    drainMs: 1000,
    warmups: 1,
    workers: 2,
  },
}

/** One measured phase. */
interface CapacitySample {
  writesPerS: number
  deliveriesPerS: number
  /** Deliveries over what the acknowledged writes should have produced, %. */
  deliveredPct: number
  p50: number
  p99: number
  /** CPU of each relay over the phase, % of one core. */
  relayCpuPct: number[]
  /** Relay CPU (all relays) per 1,000 deliveries, ms. */
  cpuMsPerKDeliveries: number
  /** CPU of the load generators, % of one core. */
  loadCpuPct: number
  /** Writes refused or never answered (should stay 0). */
  refused: number
}

/** The sorted-array percentile `p` (0..1). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

/** CPU ms of a process from /proc (10 ms ticks); NaN where unknown. */
function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return Number.NaN
  }
}

/** Starts `count` relays in a full mesh (relay i dials every relay before it). */
async function startMesh(ctx: BenchContext, count: number): Promise<BenchRelay[]> {
  const dirs = Array.from({ length: count }, (_, i) =>
    fs.mkdtempSync(path.join(ctx.tmp, `capacity-${count}-${i}-`)),
  )
  const keys = dirs.map(relayKeyOf)
  const ports = await Promise.all(dirs.map(() => freePort()))
  const started = await Promise.allSettled(
    dirs.map((data, i) =>
      startBenchRelay({
        data,
        name: `r${i}`,
        port: ports[i]!,
        trust: keys.filter((_, j) => j !== i),
        peers: ports.slice(0, i).map((port) => `ws://127.0.0.1:${port}`),
      }),
    ),
  )
  const relays = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const failed = started.find((s) => s.status === 'rejected')
  if (failed !== undefined) {
    for (const relay of relays) await relay.stop()
    throw (failed as PromiseRejectedResult).reason
  }
  return relays
}

/** The readers' and writers' jobs for `relays` (see the module comment). */
function jobs(
  shape: LoadShape,
  relays: readonly BenchRelay[],
): { readers: ConnectionJob[]; writers: ConnectionJob[]; readersPerDoc: number } {
  const owner = new FastSigner().userId
  const docIds = Array.from({ length: shape.docs }, (_, d) => threadDocId(owner, `load${d}`))
  const writerRelay = (w: number) => w % relays.length
  const docWriter = (d: number) => d % shape.writers
  const writers = Array.from({ length: shape.writers }, (_, w) => ({
    url: relays[writerRelay(w)]!.url,
    docIds: docIds.filter((_, d) => docWriter(d) === w),
  }))
  const readers: ConnectionJob[] = []
  const subscriptions = new Map<string, number>()
  for (let i = 0; i < shape.readers; i++) {
    const r = i % relays.length
    const local = Math.floor(i / relays.length)
    const candidates = docIds.filter(
      (_, d) => relays.length === 1 || writerRelay(docWriter(d)) !== r,
    )
    const mine = Array.from(
      { length: Math.min(shape.docsPerReader, candidates.length) },
      (_, k) => candidates[(local * shape.docsPerReader + k) % candidates.length]!,
    )
    for (const docId of mine) subscriptions.set(docId, (subscriptions.get(docId) ?? 0) + 1)
    readers.push({ url: relays[r]!.url, docIds: mine })
  }
  const readersPerDoc = [...subscriptions.values()].reduce((a, b) => a + b, 0) / shape.docs
  return { readers, writers, readersPerDoc }
}

/** Runs one phase and turns its result into a sample. */
async function measure(
  load: LoadWorkers,
  relays: readonly BenchRelay[],
  shape: LoadShape,
  pace: PaceMode,
  phase: number,
  readersPerDoc: number,
): Promise<CapacitySample> {
  const relayCpu0 = relays.map((r) => r.process.cpuMs())
  const loadCpu0 = load.pids.map(cpuMsOf)
  const t0 = performance.now()
  const result: PhaseResult = await load.phase({
    phase,
    pace,
    ratePerWriter: shape.ratePerWriter,
    window: shape.window,
    durationMs: shape.durationMs,
    drainMs: shape.drainMs,
  })
  const wallMs = performance.now() - t0
  const relayCpuMs = relays.map((r, i) => r.process.cpuMs() - relayCpu0[i]!)
  const loadCpuMs = load.pids.map((pid, i) => cpuMsOf(pid) - loadCpu0[i]!)
  const sorted = [...result.latenciesMs].sort((a, b) => a - b)
  const seconds = shape.durationMs / 1000
  return {
    writesPerS: result.ackedInWindow / seconds,
    deliveriesPerS: result.deliveriesInWindow / seconds,
    deliveredPct: (100 * result.deliveries) / Math.max(1, result.acked * readersPerDoc),
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    relayCpuPct: relayCpuMs.map((ms) => (100 * ms) / wallMs),
    cpuMsPerKDeliveries:
      (1000 * relayCpuMs.reduce((a, b) => a + b, 0)) / Math.max(1, result.deliveries),
    loadCpuPct: (100 * loadCpuMs.reduce((a, b) => a + b, 0)) / wallMs,
    refused: result.refused + result.unanswered,
  }
}

/** Results of one relay count. */
interface ConfigResult {
  relays: number
  readersPerDoc: number
  samples: Record<PaceMode, CapacitySample[]>
}

async function runConfig(
  ctx: BenchContext,
  shape: LoadShape,
  load: LoadWorkers,
  relayCount: number,
  phase0: number,
): Promise<ConfigResult> {
  const relays = await startMesh(ctx, relayCount)
  try {
    const deadline = performance.now() + 30_000
    while (!(await allCaughtUp(relays))) {
      if (performance.now() > deadline) throw new Error('capacity: the relays did not link')
      await new Promise((r) => setTimeout(r, 100))
    }
    const plan = jobs(shape, relays)
    await load.connect(plan.readers, plan.writers)
    // let the connection burst settle before measuring
    await new Promise((r) => setTimeout(r, 1000))
    const samples: Record<PaceMode, CapacitySample[]> = {
      [PaceModes.Rate]: [],
      [PaceModes.Window]: [],
    }
    let phase = phase0
    for (const pace of [PaceModes.Rate, PaceModes.Window]) {
      for (let i = 0; i < shape.warmups + ctx.repetitions; i++) {
        const sample = await measure(load, relays, shape, pace, phase++, plan.readersPerDoc)
        if (i >= shape.warmups) samples[pace].push(sample)
        ctx.log(
          `capacity ${relayCount} relay(s), ${pace}${i < shape.warmups ? ' (warm-up)' : ''}: ` +
            `${sample.writesPerS.toFixed(0)} writes/s, ${sample.deliveriesPerS.toFixed(0)} deliveries/s, ` +
            `p50 ${sample.p50.toFixed(1)} ms, p99 ${sample.p99.toFixed(1)} ms, ` +
            `relay CPU ${sample.relayCpuPct.map((c) => c.toFixed(0)).join('/')} %`,
        )
      }
    }
    return { relays: relayCount, readersPerDoc: plan.readersPerDoc, samples }
  } finally {
    await Promise.all(relays.map((relay) => relay.stop()))
  }
}

/** Scenario capacity (see the module comment). */
export const capacity: Scenario = {
  id: 'capacity',
  title: 'Capacity: 1 vs 2 vs 3 meshed relays under the same client load',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const shape = shapes[ctx.size]
    const loadBefore = os.loadavg()[0]!
    const configs: ConfigResult[] = []
    const load = startLoadWorkers(shape.workers)
    try {
      for (const count of [1, 2, 3]) {
        configs.push(await runConfig(ctx, shape, load, count, count * 1000))
      }
    } finally {
      await load.close()
    }
    return report(shape, configs, [loadBefore, os.loadavg()[0]!])
  },
}

function report(
  shape: LoadShape,
  configs: readonly ConfigResult[],
  loadAverage: [before: number, after: number],
): ScenarioResult {
  const cores = os.cpus().length
  const of = (c: ConfigResult, pace: PaceMode, f: (s: CapacitySample) => number): Spread =>
    spread(c.samples[pace].map(f))
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
  const offered = shape.writers * shape.ratePerWriter
  const rows = configs.flatMap((c) =>
    [PaceModes.Rate, PaceModes.Window].map((pace) => [
      String(c.relays),
      pace === PaceModes.Rate
        ? `fixed ${offered} writes/s`
        : `closed loop, ${shape.window} in flight per writer`,
      formatSpread(of(c, pace, (s) => s.writesPerS)),
      formatSpread(of(c, pace, (s) => s.deliveriesPerS)),
      formatSpread(
        of(c, pace, (s) => s.deliveredPct),
        1,
      ),
      formatSpread(
        of(c, pace, (s) => s.p50),
        1,
      ),
      formatSpread(
        of(c, pace, (s) => s.p99),
        1,
      ),
      formatSpread(of(c, pace, (s) => mean(s.relayCpuPct))),
      formatSpread(of(c, pace, (s) => s.relayCpuPct.reduce((a, b) => a + b, 0))),
      formatSpread(
        of(c, pace, (s) => s.cpuMsPerKDeliveries),
        1,
      ),
      formatSpread(of(c, pace, (s) => s.loadCpuPct)),
      String(c.samples[pace].reduce((n, s) => n + s.refused, 0)),
    ]),
  )
  const table: Table = {
    title: `${shape.readers} readers (${shape.docsPerReader} documents each) and ${shape.writers} writers over ${shape.docs} documents, spread over 1, 2, 3 relays`,
    columns: [
      'relays',
      'writers',
      'writes/s acked',
      'deliveries/s',
      'delivered %',
      'latency p50 ms',
      'latency p99 ms',
      'CPU per relay %',
      'CPU all relays %',
      'relay CPU ms / 1k deliveries',
      'load generator CPU %',
      'writes lost',
    ],
    rows,
  }
  const bars = (pace: PaceMode, f: (s: CapacitySample) => number) =>
    configs.map((c) => {
      const s = of(c, pace, f)
      return {
        label: `${c.relays} relay${c.relays > 1 ? 's' : ''}`,
        value: s.median,
        min: s.min,
        max: s.max,
      }
    })
  const charts: Chart[] = [
    {
      file: 'capacity-deliveries',
      title: `Deliveries per second, closed-loop writers (${cores}-core machine)`,
      unit: 'deliveries/s',
      lowerIsBetter: false,
      bars: bars(PaceModes.Window, (s) => s.deliveriesPerS),
    },
    {
      file: 'capacity-cpu-per-relay',
      title: `CPU per relay at ${offered} writes/s offered`,
      unit: '% of a core',
      lowerIsBetter: true,
      bars: bars(PaceModes.Rate, (s) => mean(s.relayCpuPct)),
    },
    {
      file: 'capacity-latency-p99',
      title: `Delivery latency p99 at ${offered} writes/s offered`,
      unit: 'ms',
      lowerIsBetter: true,
      bars: bars(PaceModes.Rate, (s) => s.p99),
    },
  ]
  const list = (pace: PaceMode, f: (s: CapacitySample) => number, digits = 0) =>
    configs.map((c) => of(c, pace, f).median.toFixed(digits)).join(' / ')
  const measured = `Measured in this run (1 / 2 / 3 relays, medians): at ${offered} writes/s offered, CPU per relay ${list(PaceModes.Rate, (s) => mean(s.relayCpuPct))} %, all relays ${list(PaceModes.Rate, (s) => s.relayCpuPct.reduce((a, b) => a + b, 0))} %, relay CPU per 1,000 deliveries ${list(PaceModes.Rate, (s) => s.cpuMsPerKDeliveries, 1)} ms, p50 ${list(PaceModes.Rate, (s) => s.p50, 1)} ms; closed loop ${list(PaceModes.Window, (s) => s.writesPerS)} writes/s and ${list(PaceModes.Window, (s) => s.deliveriesPerS)} deliveries/s.`
  const notes = [
    measured,
    `This machine has ${cores} CPU core(s) (${os.cpus()[0]?.model ?? 'unknown'}), shared by every relay, the ${shape.workers} load-generator processes and the benchmark itself: with 2 or 3 relays they compete for the same cores, so the totals cannot grow the way they would with one machine per relay. What carries over is the split: CPU per relay and CPU per delivery.`,
    `Readers and writers are spread evenly over the relays; with 2 or 3 relays a reader subscribes only to documents written at another relay, so every delivery crosses a peer link (with 1 relay delivery is local); every document has ~${configs[0]?.readersPerDoc.toFixed(0)} readers in every configuration.`,
    "Full replication: every relay stores every write (its own clients' and its peers'), so the write work per relay (verify, SQLite commit) does not shrink as relays are added; write capacity of the mesh does not scale with relays. The work that is split is connections, subscriptions and fan-out to readers.",
    "Latency is from the writer process taking its monotonic timestamp (before signing) to the reader process receiving the update (markers found in the raw bytes; shared CLOCK_MONOTONIC), so it includes signing, the relay's verification and SQLite commit, the peer hop and fan-out.",
    `Fixed rate: ${shape.writers} writers at ${shape.ratePerWriter} writes/s each (${offered} writes/s offered). Closed loop: each writer keeps ${shape.window} writes unacknowledged, so the rate follows what the relays acknowledge. ${shape.durationMs} ms of writing, ${shape.drainMs} ms drain; deliveries/s counts deliveries received while writing; delivered % counts all (window and drain) against acknowledged writes times readers per document.`,
    `1-minute load average of the machine: ${loadAverage[0].toFixed(1)} when the scenario started, ${loadAverage[1].toFixed(1)} when it ended (other work on the machine takes CPU from the relays: their CPU % is what they got, not what they could use).`,
    'Writes lost = refused or still unanswered 10 s after the writing window (expected 0); after each phase every write is answered before the next starts.',
    'Relay CPU from /proc/<pid>/stat (10 ms ticks) over the phase (writing and drain), as % of one core; load generators likewise. Rate limits lifted (--conn-rate, --user-rate) since every client comes from one host.',
  ]
  return {
    tables: [table],
    notes,
    charts,
    data: { shape, cores, loadAverage, configs },
  }
}
