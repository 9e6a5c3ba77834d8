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
 * number of readers in every configuration. Two shapes, one after the
 * other on the same mesh: write-heavy (many writers, ~50 readers per
 * document: every relay verifies and commits every write, which
 * dominates) and read-heavy (thousands of reader connections, a few
 * documents with ~300 readers each, two writers at a low fixed rate:
 * connections and fan-out dominate). Phases, each one warm-up plus the
 * context's repetitions: writers at a fixed offered rate (latency), and
 * (write-heavy only) writers keeping a window of unacknowledged writes
 * each (closed loop: what the mesh sustains). Measured: relay CPU per
 * process (from /proc), end-to-end delivery latency (the write's
 * monotonic timestamp, carried in the comment, to its receipt at a
 * reader), writes acknowledged per second and deliveries per second.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CloseCodes, threadDocId } from '@feedmesh/core'
import { percentile } from '../load/percentile.js'
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
import { procCpuMs } from '../spawnServer.js'
import { formatSpread, type Spread, spread } from '../stats.js'

/** The load shapes of the scenario. */
const ShapeIds = {
  /** Many writers, ~50 readers per document: write work (verify, commit) dominates. */
  WriteHeavy: 'write-heavy',
  /** Thousands of readers on a few documents, two slow writers: fan-out dominates. */
  ReadHeavy: 'read-heavy',
} as const

/** One of {@link ShapeIds}. */
type ShapeId = (typeof ShapeIds)[keyof typeof ShapeIds]

/** One load shape at one size. */
interface LoadShape {
  id: ShapeId
  readers: number
  writers: number
  docs: number
  /** Documents each reader subscribes. */
  docsPerReader: number
  /** Offered writes per second per writer in the rate phase. */
  ratePerWriter: number
  /** Unacknowledged writes per writer in the window phase. */
  window: number
  /** The phases run. */
  paces: readonly PaceMode[]
  /** At most this many measured repetitions per phase (keeps the scenario short). */
  maxRepetitions: number
  durationMs: number
  drainMs: number
  warmups: number
  /** Pause after the clients connect, before measuring. */
  settleMs: number
}

/** The shapes of one size and the load-generator processes that run them. */
interface SizeSpec {
  /** Load-generator processes. */
  workers: number
  shapes: readonly LoadShape[]
}

const bothPaces = [PaceModes.Rate, PaceModes.Window] as const
const rateOnly = [PaceModes.Rate] as const

const sizes: Record<BenchContext['size'], SizeSpec> = {
  smoke: {
    workers: 2,
    shapes: [
      {
        id: ShapeIds.WriteHeavy,
        readers: 30,
        writers: 6,
        docs: 12,
        docsPerReader: 4,
        ratePerWriter: 5,
        window: 2,
        paces: bothPaces,
        maxRepetitions: 1,
        durationMs: 500,
        drainMs: 200,
        warmups: 0,
        settleMs: 300,
      },
      {
        id: ShapeIds.ReadHeavy,
        readers: 72,
        writers: 2,
        docs: 6,
        docsPerReader: 1,
        ratePerWriter: 10,
        window: 1,
        paces: rateOnly,
        maxRepetitions: 1,
        durationMs: 500,
        drainMs: 200,
        warmups: 0,
        settleMs: 300,
      },
    ],
  },
  quick: {
    workers: 2,
    shapes: [
      {
        id: ShapeIds.WriteHeavy,
        readers: 300,
        writers: 6,
        docs: 60,
        docsPerReader: 10,
        ratePerWriter: 10,
        window: 4,
        paces: bothPaces,
        maxRepetitions: 5,
        durationMs: 1500,
        drainMs: 400,
        warmups: 1,
        settleMs: 1000,
      },
      {
        id: ShapeIds.ReadHeavy,
        readers: 1800,
        writers: 2,
        docs: 6,
        docsPerReader: 1,
        ratePerWriter: 10,
        window: 1,
        paces: rateOnly,
        maxRepetitions: 3,
        durationMs: 2000,
        drainMs: 400,
        warmups: 1,
        settleMs: 1000,
      },
    ],
  },
  full: {
    workers: 2,
    shapes: [
      {
        id: ShapeIds.WriteHeavy,
        readers: 900,
        writers: 12,
        docs: 120,
        docsPerReader: 10,
        ratePerWriter: 15,
        window: 4,
        paces: bothPaces,
        maxRepetitions: 10,
        durationMs: 5000,
        drainMs: 1000,
        warmups: 1,
        settleMs: 1000,
      },
      {
        id: ShapeIds.ReadHeavy,
        readers: 3600,
        writers: 2,
        docs: 6,
        docsPerReader: 1,
        ratePerWriter: 10,
        window: 1,
        paces: rateOnly,
        maxRepetitions: 10,
        durationMs: 5000,
        drainMs: 1000,
        warmups: 1,
        settleMs: 2000,
      },
    ],
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
  /** Readers the relays had closed by the end of the phase (cumulative over the shape's phases). */
  readersClosed: number
  /** Their close codes. */
  closeCodes: number[]
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
  const loadCpu0 = load.pids.map(procCpuMs)
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
  const loadCpuMs = load.pids.map((pid, i) => procCpuMs(pid) - loadCpu0[i]!)
  const seconds = shape.durationMs / 1000
  return {
    writesPerS: result.ackedInWindow / seconds,
    deliveriesPerS: result.deliveriesInWindow / seconds,
    deliveredPct: (100 * result.deliveries) / Math.max(1, result.acked * readersPerDoc),
    p50: percentile(result.latenciesMs, 50),
    p99: percentile(result.latenciesMs, 99),
    relayCpuPct: relayCpuMs.map((ms) => (100 * ms) / wallMs),
    cpuMsPerKDeliveries:
      (1000 * relayCpuMs.reduce((a, b) => a + b, 0)) / Math.max(1, result.deliveries),
    loadCpuPct: (100 * loadCpuMs.reduce((a, b) => a + b, 0)) / wallMs,
    refused: result.refused + result.unanswered,
    readersClosed: result.readersClosed,
    closeCodes: result.closeCodes,
  }
}

/** Results of one shape at one relay count. */
interface ShapeRun {
  relays: number
  readersPerDoc: number
  /** Client connections (readers and writers) at each relay. */
  connectionsPerRelay: number[]
  samples: Record<PaceMode, CapacitySample[]>
}

/** Connects the shape's clients to `relays` and runs its phases. */
async function runShape(
  ctx: BenchContext,
  shape: LoadShape,
  load: LoadWorkers,
  relays: readonly BenchRelay[],
  phase0: number,
): Promise<ShapeRun> {
  const plan = jobs(shape, relays)
  await load.connect(plan.readers, plan.writers)
  // let the connection burst settle before measuring
  await new Promise((r) => setTimeout(r, shape.settleMs))
  const connectionsPerRelay = relays.map(
    (relay) => [...plan.readers, ...plan.writers].filter((job) => job.url === relay.url).length,
  )
  const samples: Record<PaceMode, CapacitySample[]> = {
    [PaceModes.Rate]: [],
    [PaceModes.Window]: [],
  }
  const repetitions = Math.min(ctx.repetitions, shape.maxRepetitions)
  let phase = phase0
  for (const pace of shape.paces) {
    for (let i = 0; i < shape.warmups + repetitions; i++) {
      const sample = await measure(load, relays, shape, pace, phase++, plan.readersPerDoc)
      if (i >= shape.warmups) samples[pace].push(sample)
      ctx.log(
        `capacity ${shape.id}, ${relays.length} relay(s), ${pace}${i < shape.warmups ? ' (warm-up)' : ''}: ` +
          `${sample.writesPerS.toFixed(0)} writes/s, ${sample.deliveriesPerS.toFixed(0)} deliveries/s, ` +
          `p50 ${sample.p50.toFixed(1)} ms, p99 ${sample.p99.toFixed(1)} ms, ` +
          `relay CPU ${sample.relayCpuPct.map((c) => c.toFixed(0)).join('/')} %, ` +
          `load CPU ${sample.loadCpuPct.toFixed(0)} %`,
      )
    }
  }
  return { relays: relays.length, readersPerDoc: plan.readersPerDoc, connectionsPerRelay, samples }
}

/** Runs every shape on a mesh of `relayCount` relays; the runs in the order of the shapes. */
async function runConfig(
  ctx: BenchContext,
  spec: SizeSpec,
  load: LoadWorkers,
  relayCount: number,
): Promise<ShapeRun[]> {
  const relays = await startMesh(ctx, relayCount)
  try {
    const deadline = performance.now() + 30_000
    while (!(await allCaughtUp(relays))) {
      if (performance.now() > deadline) throw new Error('capacity: the relays did not link')
      await new Promise((r) => setTimeout(r, 100))
    }
    const runs: ShapeRun[] = []
    for (const [s, shape] of spec.shapes.entries()) {
      runs.push(await runShape(ctx, shape, load, relays, relayCount * 1000 + s * 100))
    }
    return runs
  } finally {
    await Promise.all(relays.map((relay) => relay.stop()))
  }
}

/** Scenario capacity (see the module comment). */
export const capacity: Scenario = {
  id: 'capacity',
  title: 'Capacity: 1 vs 2 vs 3 meshed relays under the same client load',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const spec = sizes[ctx.size]
    const loadBefore = os.loadavg()[0]!
    const byShape: ShapeRun[][] = spec.shapes.map(() => [])
    const load = startLoadWorkers(spec.workers)
    try {
      for (const count of [1, 2, 3]) {
        const runs = await runConfig(ctx, spec, load, count)
        for (const [s, run] of runs.entries()) byShape[s]!.push(run)
      }
    } finally {
      await load.close()
    }
    return report(ctx, spec, byShape, [loadBefore, os.loadavg()[0]!])
  },
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)

const of = (c: ShapeRun, pace: PaceMode, f: (s: CapacitySample) => number): Spread =>
  spread(c.samples[pace].map(f))

/** Medians of one figure over the relay counts, as `a / b / c`. */
const list = (
  runs: readonly ShapeRun[],
  pace: PaceMode,
  f: (s: CapacitySample) => number,
  digits = 0,
) => runs.map((c) => of(c, pace, f).median.toFixed(digits)).join(' / ')

/** How a figure moved from the first to the last relay count, in words. */
function trend(first: number, last: number): string {
  if (!(first > 0 && last > 0)) return 'changed'
  const ratio = last / first
  if (ratio < 0.85) return 'fell'
  if (ratio > 1.15) return 'rose'
  return 'stayed about the same'
}

/** The one-sentence finding of a shape, from the run's medians at the fixed rate. */
function finding(shape: LoadShape, runs: readonly ShapeRun[]): string {
  const first = runs[0]
  const last = runs[runs.length - 1]
  if (first === undefined || last === undefined) return ''
  const at = (c: ShapeRun, f: (s: CapacitySample) => number) => of(c, PaceModes.Rate, f).median
  const perRelay = (s: CapacitySample) => mean(s.relayCpuPct)
  const all = (s: CapacitySample) => sum(s.relayCpuPct)
  const p1 = at(first, perRelay)
  const pN = at(last, perRelay)
  const a1 = at(first, all)
  const aN = at(last, all)
  const perRelayTrend = trend(p1, pN)
  const meaning =
    perRelayTrend === 'fell'
      ? 'the per-relay work splits as relays are added'
      : 'the per-relay work does not shrink as relays are added'
  const label = shape.id === ShapeIds.ReadHeavy ? 'Read-heavy' : 'Write-heavy'
  return `${label} (measured): CPU per relay ${perRelayTrend} from ${p1.toFixed(0)} % with ${first.relays} relay to ${pN.toFixed(0)} % with ${last.relays} relays (${meaning}), while all relays together went from ${a1.toFixed(0)} % to ${aN.toFixed(0)} % of a core and relay CPU per 1,000 deliveries from ${at(first, (s) => s.cpuMsPerKDeliveries).toFixed(1)} to ${at(last, (s) => s.cpuMsPerKDeliveries).toFixed(1)} ms${shape.id === ShapeIds.ReadHeavy ? ': the readers and their fan-out are divided among the relays, while each relay still verifies and stores every write and serves its peer links' : ': every relay verifies and commits every write, so each added relay repeats that work'}.`
}

/** What the readers closed by a relay in this run were, for the notes. */
function closedNote(byShape: readonly (readonly ShapeRun[])[]): string {
  const samples = byShape.flatMap((runs) =>
    runs.flatMap((r) => [...r.samples[PaceModes.Rate], ...r.samples[PaceModes.Window]]),
  )
  const closed = Math.max(0, ...samples.map((s) => s.readersClosed))
  const codes = [...new Set(samples.flatMap((s) => s.closeCodes))].sort((a, b) => a - b)
  return closed === 0
    ? 'In this run no reader was closed.'
    : `In this run up to ${closed} readers were closed in one configuration, with close code(s) ${codes.join(', ')}.`
}

/** The table of one shape. */
function shapeTable(shape: LoadShape, runs: readonly ShapeRun[]): Table {
  const offered = shape.writers * shape.ratePerWriter
  const readHeavy = shape.id === ShapeIds.ReadHeavy
  const rows = runs.flatMap((c) =>
    shape.paces.map((pace) => [
      String(c.relays),
      ...(readHeavy ? [c.connectionsPerRelay.join(' / ')] : []),
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
      formatSpread(of(c, pace, (s) => sum(s.relayCpuPct))),
      formatSpread(
        of(c, pace, (s) => s.cpuMsPerKDeliveries),
        1,
      ),
      formatSpread(of(c, pace, (s) => s.loadCpuPct)),
      String(c.samples[pace].reduce((n, s) => n + s.refused, 0)),
      String(Math.max(0, ...c.samples[pace].map((s) => s.readersClosed))),
    ]),
  )
  const perDoc = runs[0]?.readersPerDoc.toFixed(0) ?? '?'
  return {
    title: readHeavy
      ? `Read-heavy: ${shape.readers} readers (${shape.docsPerReader} document each, ~${perDoc} readers per document) and ${shape.writers} writers over ${shape.docs} documents, spread over 1, 2, 3 relays`
      : `Write-heavy: ${shape.readers} readers (${shape.docsPerReader} documents each, ~${perDoc} readers per document) and ${shape.writers} writers over ${shape.docs} documents, spread over 1, 2, 3 relays`,
    columns: [
      'relays',
      ...(readHeavy ? ['connections per relay'] : []),
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
      'readers closed by a relay',
    ],
    rows,
  }
}

function report(
  ctx: BenchContext,
  spec: SizeSpec,
  byShape: readonly (readonly ShapeRun[])[],
  loadAverage: [before: number, after: number],
): ScenarioResult {
  const cores = os.cpus().length
  const shapeAt = (id: ShapeId) => {
    const s = spec.shapes.findIndex((shape) => shape.id === id)
    return { shape: spec.shapes[s]!, runs: byShape[s] ?? [] }
  }
  const write = shapeAt(ShapeIds.WriteHeavy)
  const read = shapeAt(ShapeIds.ReadHeavy)
  const writeOffered = write.shape.writers * write.shape.ratePerWriter
  const readOffered = read.shape.writers * read.shape.ratePerWriter
  const bars = (runs: readonly ShapeRun[], pace: PaceMode, f: (s: CapacitySample) => number) =>
    runs.map((c) => {
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
      title: `Write-heavy: deliveries per second, closed-loop writers (${cores}-core machine)`,
      unit: 'deliveries/s',
      lowerIsBetter: false,
      bars: bars(write.runs, PaceModes.Window, (s) => s.deliveriesPerS),
    },
    {
      file: 'capacity-cpu-per-relay',
      title: `Write-heavy: CPU per relay at ${writeOffered} writes/s offered`,
      unit: '% of a core',
      lowerIsBetter: true,
      bars: bars(write.runs, PaceModes.Rate, (s) => mean(s.relayCpuPct)),
    },
    {
      file: 'capacity-latency-p99',
      title: `Write-heavy: delivery latency p99 at ${writeOffered} writes/s offered`,
      unit: 'ms',
      lowerIsBetter: true,
      bars: bars(write.runs, PaceModes.Rate, (s) => s.p99),
    },
    {
      file: 'capacity-read-heavy-cpu-per-relay',
      title: `Read-heavy: CPU per relay, ${read.shape.readers} readers, ${readOffered} writes/s`,
      unit: '% of a core',
      lowerIsBetter: true,
      bars: bars(read.runs, PaceModes.Rate, (s) => mean(s.relayCpuPct)),
    },
  ]
  const R = PaceModes.Rate
  const W = PaceModes.Window
  const perRelay = (s: CapacitySample) => mean(s.relayCpuPct)
  const all = (s: CapacitySample) => sum(s.relayCpuPct)
  const maxLoadCpu = Math.max(
    ...byShape.flatMap((runs) =>
      runs.flatMap((c) => Object.values(c.samples).flatMap((xs) => xs.map((s) => s.loadCpuPct))),
    ),
  )
  const readLoadCpu = list(read.runs, R, (s) => s.loadCpuPct)
  const notes = [
    finding(write.shape, write.runs),
    finding(read.shape, read.runs),
    `Write-heavy, measured in this run (1 / 2 / 3 relays, medians): at ${writeOffered} writes/s offered, CPU per relay ${list(write.runs, R, perRelay)} %, all relays ${list(write.runs, R, all)} %, relay CPU per 1,000 deliveries ${list(write.runs, R, (s) => s.cpuMsPerKDeliveries, 1)} ms, p50 ${list(write.runs, R, (s) => s.p50, 1)} ms; closed loop ${list(write.runs, W, (s) => s.writesPerS)} writes/s and ${list(write.runs, W, (s) => s.deliveriesPerS)} deliveries/s.`,
    `Read-heavy, measured in this run (1 / 2 / 3 relays, medians): ${read.shape.readers + read.shape.writers} connections in all, ${list(read.runs, R, (s) => s.deliveriesPerS)} deliveries/s at ${readOffered} writes/s, CPU per relay ${list(read.runs, R, perRelay)} %, all relays ${list(read.runs, R, all)} %, relay CPU per 1,000 deliveries ${list(read.runs, R, (s) => s.cpuMsPerKDeliveries, 1)} ms, p50 ${list(read.runs, R, (s) => s.p50, 1)} ms, p99 ${list(read.runs, R, (s) => s.p99, 1)} ms.`,
    `This machine has ${cores} CPU core(s) (${os.cpus()[0]?.model ?? 'unknown'}), shared by every relay, the ${spec.workers} load-generator processes and the benchmark itself: with 2 or 3 relays they compete for the same cores, so the totals cannot grow the way they would with one machine per relay. What carries over is the split: CPU per relay and CPU per delivery.`,
    `Load generators (both processes together) used at most ${maxLoadCpu.toFixed(0)} % of one core in any phase (read-heavy: ${readLoadCpu} %, 1 / 2 / 3 relays), so they did not limit the fixed-rate phases; the read-heavy size was chosen to keep them well below a core.`,
    'Readers and writers are spread evenly over the relays; with 2 or 3 relays a reader subscribes only to documents written at another relay, so every delivery crosses a peer link (with 1 relay delivery is local); every document has the same number of readers in every configuration (see the table titles). Both shapes run one after the other on the same mesh (new documents and connections for each).',
    "Full replication: every relay stores every write (its own clients' and its peers'), so the write work per relay (verify, SQLite commit) does not shrink as relays are added; write capacity of the mesh does not scale with relays. The work that is split is connections, subscriptions and fan-out to readers, which the read-heavy shape makes dominant.",
    "Latency is from the writer process taking its monotonic timestamp (before signing) to the reader process receiving the update (markers found in the raw bytes; shared CLOCK_MONOTONIC), so it includes signing, the relay's verification and SQLite commit, the peer hop and fan-out.",
    `Write-heavy: fixed rate ${write.shape.writers} writers at ${write.shape.ratePerWriter} writes/s each (${writeOffered} writes/s offered); closed loop: each writer keeps ${write.shape.window} writes unacknowledged, so the rate follows what the relays acknowledge; ${write.shape.durationMs} ms of writing, ${write.shape.drainMs} ms drain, ${Math.min(ctx.repetitions, write.shape.maxRepetitions)} repetition(s) after ${write.shape.warmups} warm-up. Read-heavy: fixed rate only, ${read.shape.writers} writers at ${read.shape.ratePerWriter} writes/s each; ${read.shape.durationMs} ms of writing, ${read.shape.drainMs} ms drain, ${Math.min(ctx.repetitions, read.shape.maxRepetitions)} repetition(s) after ${read.shape.warmups} warm-up. Deliveries/s counts deliveries received while writing; delivered % counts all (window and drain) against acknowledged writes times readers per document.`,
    `1-minute load average of the machine: ${loadAverage[0].toFixed(1)} when the scenario started, ${loadAverage[1].toFixed(1)} when it ended (other work on the machine takes CPU from the relays: their CPU % is what they got, not what they could use).`,
    'Writes lost = refused or still unanswered 10 s after the writing window (expected 0); after each phase every write is answered before the next starts.',
    `Readers closed by a relay = reader connections closed by their relay since they connected, counted at the end of the row's phases (cumulative, so the closed-loop row includes the fixed-rate phases before it). A relay closes a reader with ${CloseCodes.TryAgainLater} (try again later) when more than --max-buffered-bytes wait for it: a reader that cannot keep up is cut off instead of making the relay buffer without bound; its writes are stored and it catches up on reconnect (these raw readers do not reconnect, so their deliveries stop). ${closedNote(byShape)}`,
    'Relay CPU from /proc/<pid>/stat (10 ms ticks) over the phase (writing and drain), as % of one core; load generators likewise. Rate limits lifted (--conn-rate, --user-rate) since every client comes from one host.',
  ]
  return {
    tables: [shapeTable(write.shape, write.runs), shapeTable(read.shape, read.runs)],
    notes,
    charts,
    data: { sizes: spec, cores, loadAverage, shapes: byShape },
  }
}
