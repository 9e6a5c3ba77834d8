/**
 * Scenario meshHeal: what healing a partition between two relays costs.
 *
 * Two feedmesh relay processes (SQLite stores in the scratch directory,
 * each trusting the other's key) hold the same documents, seeded straight
 * into both stores with each one's cursor at the other's head (as after a
 * long time in sync); relay A dials relay B through a TCP proxy. Each
 * round cuts the proxy, writes one new signed comment into 1% of the
 * documents at each relay (distinct documents on each side and in each
 * round), restores the proxy and measures until both relays report the
 * link caught up and hold identical state of every changed document (read
 * back from both and compared): the time from restore, the bytes through
 * the proxy (both ways), and the documents exchanged (`docsSynced`, summed
 * over both relays' `/healthz` peer figures).
 *
 * Baseline: the same round, but before the restore both relays are
 * restarted with their peer cursors forgotten, so the heal is feedmesh's
 * own full reconciliation: state vectors exchanged and diffs computed for
 * every stored document, which is what a sync that does not know what
 * changed (one state-vector handshake per document, as y-websocket or
 * Hocuspocus clients do) has to do.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { DocId } from '@feedmesh/core'
import { FastSigner } from '../mesh/FastSigner.js'
import {
  allCaughtUp,
  type BenchRelay,
  freePort,
  relayKeyOf,
  startBenchRelay,
  sumPeerFigure,
} from '../mesh/relayProcess.js'
import { differingDocs } from '../mesh/replicaState.js'
import { forgetPeers, seedInSync, threadDocuments } from '../mesh/seedStores.js'
import { WireClient } from '../mesh/WireClient.js'
import type { BenchContext, Chart, Scenario, ScenarioResult, Table } from '../scenario.js'
import { formatSpread, type Spread, spread } from '../stats.js'
import { type BenchProxy, startProxy } from '../tcpProxy.js'

/** Documents stored on both relays, by size. */
const storedBySize = { smoke: 500, quick: 10_000, full: 50_000 } as const

/** How a heal is measured. */
const HealModes = {
  /** The link comes back; each side pulls what changed since its cursor. */
  Incremental: 'incremental',
  /** Both relays restarted with forgotten cursors: every document is reconciled. */
  Full: 'full reconciliation',
} as const
type HealMode = (typeof HealModes)[keyof typeof HealModes]

/** One measured heal. */
interface HealSample {
  /** Restore to both relays caught up with identical changed documents, ms. */
  ms: number
  /** Restore to the link being up on both sides, ms. */
  linkMs: number
  /** Bytes through the proxy (both ways) until converged. */
  bytes: number
  /** Bytes through the proxy once the following periodic round ran too. */
  bytesSettled: number
  /** Documents whose state vectors the relays exchanged (sum over both). */
  docsSynced: number
  /** Full reconciliations counted by the relays (sum over both). */
  fullReconciliations: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Writes one comment into each of `docIds` through `url` and waits until every write is acknowledged. */
async function writeComments(url: string, docIds: readonly DocId[], round: number): Promise<void> {
  const signer = new FastSigner()
  const client = await WireClient.open(url, signer.identity)
  try {
    const pending = new Set<number>()
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('writes not acknowledged in time')), 30_000)
      client.onAck = (refs) => {
        for (const ref of refs) pending.delete(ref)
        if (pending.size > 0) return
        clearTimeout(timer)
        resolve()
      }
      client.onRefused = (_ref, message) => {
        clearTimeout(timer)
        reject(new Error(`write refused: ${message}`))
      }
    })
    for (const docId of docIds) {
      pending.add(client.update(docId, signer.comment(docId, `r${round}`, `during ${round}`)))
    }
    await done
  } finally {
    await client.close()
  }
}

/** Waits (bounded) until `check` holds, polling every `everyMs`. */
async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 120_000,
  everyMs = 20,
) {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`meshHeal: timed out waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** Both relays report the link up. */
async function linked(relays: readonly BenchRelay[]): Promise<boolean> {
  for (const relay of relays) {
    const peers = (await relay.health()).peers ?? []
    if (!peers.some((p) => p.connected)) return false
  }
  return true
}

/** Two relays, the proxy between them and the documents they hold. */
interface Pair {
  relays: [BenchRelay, BenchRelay]
  dirs: [string, string]
  proxy: BenchProxy
  docIds: DocId[]
}

async function startPair(ctx: BenchContext, stored: number): Promise<Pair> {
  const dirs: [string, string] = [
    fs.mkdtempSync(path.join(ctx.tmp, 'heal-a-')),
    fs.mkdtempSync(path.join(ctx.tmp, 'heal-b-')),
  ]
  const keys = dirs.map(relayKeyOf)
  const t0 = performance.now()
  const docs = threadDocuments(stored)
  await seedInSync(dirs, docs)
  ctx.log(
    `meshHeal: ${stored} documents seeded into both stores in ${(performance.now() - t0).toFixed(0)} ms`,
  )
  const portB = await freePort()
  const proxy = await startProxy(portB)
  const relays: BenchRelay[] = []
  try {
    // both at once: relay A retries its dial until relay B listens
    const started = await Promise.allSettled([
      startBenchRelay({ data: dirs[1], name: 'b', trust: [keys[0]!], peers: [], port: portB }),
      startBenchRelay({ data: dirs[0], name: 'a', trust: [keys[1]!], peers: [proxy.url] }),
    ])
    for (const s of started) if (s.status === 'fulfilled') relays.push(s.value)
    const failed = started.find((s) => s.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
  } catch (error) {
    for (const relay of relays) await relay.stop()
    await proxy.close()
    throw error
  }
  return { relays: [relays[1]!, relays[0]!], dirs, proxy, docIds: docs.map(([docId]) => docId) }
}

/** One round: partition, 1% changed on each side, heal, measure. */
async function healRound(
  pair: Pair,
  mode: HealMode,
  docs: readonly DocId[],
  round: number,
  perSide: number,
  settle: boolean,
): Promise<HealSample> {
  const { relays, proxy, dirs } = pair
  const urls = relays.map((r) => r.url)
  pair.proxy.cut()
  await until(async () => !(await linked(relays)), 'the link to drop', 10_000)
  const changed: DocId[][] = [0, 1].map((side) =>
    Array.from(
      { length: perSide },
      (_, i) => docs[((round * 2 + side) * perSide + i) % docs.length]!,
    ),
  )
  await Promise.all(relays.map((relay, side) => writeComments(relay.url, changed[side]!, round)))
  const all = changed.flat()
  if (mode === HealModes.Full) {
    const keys = dirs.map(relayKeyOf)
    await Promise.all(relays.map((relay) => relay.stop()))
    await forgetPeers(dirs[0], [keys[1]!])
    await forgetPeers(dirs[1], [keys[0]!])
    await Promise.all(relays.map((relay) => relay.restart()))
  }
  const syncedBefore = await sumPeerFigure(relays, 'docsSynced')
  const fullBefore = await sumPeerFigure(relays, 'fullReconciliations')
  proxy.resetCounts()
  const t0 = performance.now()
  proxy.restore()
  let linkMs = Number.NaN
  let ms = Number.NaN
  await until(async () => {
    if (Number.isNaN(linkMs) && (await linked(relays))) linkMs = performance.now() - t0
    if (Number.isNaN(linkMs) || !(await allCaughtUp(relays))) return false
    ms = performance.now() - t0
    // the relays say so; check it: every changed document identical on both
    return (await differingDocs(urls, all)).length === 0
  }, 'the relays to converge')
  const bytes = proxy.bytes.up + proxy.bytes.down
  if (settle) {
    // let the next periodic round (2 s) run too, so the figures include its echoes
    await sleep(2500)
    await until(() => allCaughtUp(relays), 'the periodic round', 30_000)
  }
  return {
    ms,
    linkMs,
    bytes,
    bytesSettled: proxy.bytes.up + proxy.bytes.down,
    docsSynced: (await sumPeerFigure(relays, 'docsSynced')) - syncedBefore,
    fullReconciliations: (await sumPeerFigure(relays, 'fullReconciliations')) - fullBefore,
  }
}

const kib = (bytes: number) => bytes / 1024

/** Scenario meshHeal (see the module comment). */
export const meshHeal: Scenario = {
  id: 'meshHeal',
  title: 'Mesh heal: 1% changed on each side of a partition',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const stored = storedBySize[ctx.size]
    const perSide = Math.max(1, Math.round(stored / 100))
    const smoke = ctx.size === 'smoke'
    const reps = Math.max(1, ctx.repetitions)
    // the full reconciliation of 10,000+ documents takes seconds: fewer repetitions of it
    const fullReps = smoke ? 1 : Math.min(reps, ctx.size === 'full' ? 2 : 3)
    const pair = await startPair(ctx, stored)
    const samples: Record<HealMode, HealSample[]> = {
      [HealModes.Incremental]: [],
      [HealModes.Full]: [],
    }
    try {
      await until(() => allCaughtUp(pair.relays), 'the seeded relays to link', 60_000, 100)
      let round = 0
      const plan: [HealMode, number][] = [
        [HealModes.Incremental, smoke ? 0 : 1],
        // no warm-up: every full round restarts both relays, so nothing stays warm
        [HealModes.Full, 0],
      ]
      for (const [mode, warmups] of plan) {
        const count = mode === HealModes.Incremental ? reps : fullReps
        for (let i = 0; i < warmups + count; i++) {
          const sample = await healRound(pair, mode, pair.docIds, round++, perSide, !smoke)
          ctx.log(
            `meshHeal ${mode}${i < warmups ? ' (warm-up)' : ''}: ${sample.ms.toFixed(0)} ms, ` +
              `${kib(sample.bytes).toFixed(1)} KiB, ${sample.docsSynced} documents synced`,
          )
          if (i >= warmups) samples[mode].push(sample)
        }
      }
    } finally {
      for (const relay of pair.relays) await relay.stop()
      await pair.proxy.close()
    }
    return report(stored, perSide, samples)
  },
}

function report(
  stored: number,
  perSide: number,
  samples: Record<HealMode, HealSample[]>,
): ScenarioResult {
  const of = (mode: HealMode, f: (s: HealSample) => number): Spread => spread(samples[mode].map(f))
  const modes = [HealModes.Incremental, HealModes.Full]
  const rows = modes.map((mode) => [
    mode === HealModes.Incremental
      ? 'feedmesh heal (changes since cursor)'
      : 'baseline: every document (full reconciliation)',
    formatSpread(of(mode, (s) => s.ms)),
    formatSpread(of(mode, (s) => s.linkMs)),
    formatSpread(of(mode, (s) => s.ms - s.linkMs)),
    formatSpread(
      of(mode, (s) => kib(s.bytes)),
      1,
    ),
    formatSpread(
      of(mode, (s) => kib(s.bytesSettled)),
      1,
    ),
    formatSpread(of(mode, (s) => s.docsSynced)),
    String(samples[mode].length),
  ])
  const ratio = (f: (s: HealSample) => number) =>
    of(HealModes.Full, f).median / of(HealModes.Incremental, f).median
  const ratioRow = [
    'ratio baseline / heal',
    `${ratio((s) => s.ms).toFixed(1)}x`,
    '',
    `${ratio((s) => s.ms - s.linkMs).toFixed(1)}x`,
    `${ratio((s) => s.bytes).toFixed(1)}x`,
    `${ratio((s) => s.bytesSettled).toFixed(1)}x`,
    `${ratio((s) => s.docsSynced).toFixed(1)}x`,
    '',
  ]
  const table: Table = {
    title: `Healing a partition: ${stored} documents on two relays, ${perSide} changed on each side`,
    columns: [
      'heal',
      'converged ms',
      'link up ms',
      'link up to converged ms',
      'KiB on the link (converged)',
      'KiB after next round',
      'documents synced',
      'runs',
    ],
    rows: [...rows, ratioRow],
  }
  const bar = (mode: HealMode, f: (s: HealSample) => number) => {
    const s = of(mode, f)
    return {
      label: mode === HealModes.Incremental ? 'feedmesh heal' : 'full reconciliation',
      value: s.median,
      min: s.min,
      max: s.max,
    }
  }
  const charts: Chart[] = [
    {
      file: 'meshHeal-time',
      title: `Heal after a partition: ${stored} documents, 1% changed on each side`,
      unit: 'ms',
      lowerIsBetter: true,
      bars: modes.map((m) => bar(m, (s) => s.ms)),
    },
    {
      file: 'meshHeal-bytes',
      title: `Bytes on the relay link to heal (${stored} documents, 1% changed on each side)`,
      unit: 'KiB',
      lowerIsBetter: true,
      bars: modes.map((m) => bar(m, (s) => kib(s.bytes))),
    },
  ]
  const notes = [
    `Two feedmesh relay processes on 127.0.0.1, SQLite stores, each trusting the other's key; relay A dials relay B through a TCP proxy that the benchmark cuts and restores.`,
    `Both stores seeded directly with the same ${stored} thread documents (one signed comment each) and each relay's cursor at the other's head, as after a long time in sync.`,
    `Each round: cut, ${perSide} documents (1%) get a new signed comment at each relay (distinct documents), restore; converged = both relays report the link caught up (/healthz lag 0, no round running) and every changed document reads back identical from both.`,
    "Converged ms runs from the restore; it includes the dialing relay's next reconnect attempt (link up ms) and the handshake; link up to converged is the catch-up itself.",
    'Bytes are counted at the proxy, both directions, TCP payload (WebSocket frames of the peer link, keepalive pings included); documents synced = docsSynced of /healthz, summed over both relays.',
    'Baseline: both relays restarted with their peer cursors reset, so the heal is a full reconciliation (state vectors and diffs for every stored document, 1,000 per message); its time includes loading every document from SQLite after the restart, which any sync that does not know what changed has to do too; for the same reason it has no warm-up round.',
    'Relays run with --peer-retry-min-ms 50 --peer-retry-max-ms 500 --peer-sync-ms 2000 (defaults: 250 ms, 30 s, 10 s): with the default backoff, a long partition adds up to 30 s before the link is retried.',
  ]
  if (samples[HealModes.Incremental].every((s) => s.bytes === s.bytesSettled)) {
    notes.push(
      'Smoke size: the figures are taken at convergence, without waiting for the next periodic round.',
    )
  }
  return { tables: [table], notes, charts, data: { stored, perSide, samples } }
}
