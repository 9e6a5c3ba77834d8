/**
 * What the `subscribe` and `latency` scenarios share: the document counts
 * per size, the seeded documents and change batches (identical for every
 * system), running {@link measureCatchUp} on each system, and the cells
 * and bars built from its results.
 */
import path from 'node:path'
import { measureCatchUp, type Phase, type PhaseSummary, type SystemCatchUp } from './catchUp.js'
import type { Bar, BenchContext, BenchSize } from './scenario.js'
import { makeChangeBatches, makeSeedDocs, type SeedDoc, writeSeedFile } from './seedData.js'
import { formatSpread } from './stats.js'
import type { System } from './systems.js'

/** Documents per size. */
export const catchUpDocCounts: Record<BenchSize, number> = { smoke: 50, quick: 500, full: 2000 }

/** Share of the documents one change batch changes. */
export const CHANGED_FRACTION = 0.1

/** The documents and changes of a catch-up scenario. */
export interface CatchUpData {
  /** Seeded documents. */
  docs: SeedDoc[]
  /** Seed file of the same documents. */
  seedFile: string
  /** One change batch per round. */
  changes: SeedDoc[][]
  /** Average update bytes of a seeded document. */
  docBytes: number
  /** Documents one batch changes. */
  changedDocs: number
  /** Update bytes of one batch (the median batch). */
  changeBytes: number
}

/** Seeds `catchUpDocCounts[ctx.size]` documents and a change batch per round (warm-up included). */
export function prepareCatchUp(ctx: BenchContext): CatchUpData {
  const docs = makeSeedDocs(catchUpDocCounts[ctx.size])
  const seedFile = path.join(ctx.tmp, 'seed.bin')
  writeSeedFile(seedFile, docs)
  const changes = makeChangeBatches(docs, CHANGED_FRACTION, ctx.repetitions + 1)
  const batchBytes = changes
    .map((batch) => batch.reduce((n, c) => n + c.update.length, 0))
    .sort((a, b) => a - b)
  return {
    docs,
    seedFile,
    changes,
    docBytes: Math.round(docs.reduce((n, d) => n + d.update.length, 0) / docs.length),
    changedDocs: changes[0]?.length ?? 0,
    changeBytes: batchBytes[Math.floor(batchBytes.length / 2)] ?? 0,
  }
}

/** Measures every system in turn. */
export async function measureSystems(
  ctx: BenchContext,
  systems: readonly System[],
  data: CatchUpData,
  delayMs?: number,
): Promise<SystemCatchUp[]> {
  const results: SystemCatchUp[] = []
  for (const system of systems) {
    const t0 = performance.now()
    results.push(
      await measureCatchUp(system, {
        docs: data.docs,
        seedFile: data.seedFile,
        changes: data.changes,
        repetitions: ctx.repetitions,
        warmUp: ctx.size !== 'smoke',
        tmp: ctx.tmp,
        ...(delayMs === undefined ? {} : { delayMs }),
      }),
    )
    ctx.log(`${system.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
  return results
}

/** Throws when feedmesh itself failed a phase (the harness or feedmesh is broken). */
export function requireFeedmesh(results: readonly SystemCatchUp[]): void {
  for (const r of results) {
    if (!r.system.startsWith('feedmesh')) continue
    for (const [phase, summary] of Object.entries(r.phases)) {
      if (summary.error !== undefined) throw new Error(`feedmesh ${phase}: ${summary.error}`)
    }
  }
}

/** KiB with one decimal. */
export const kib = (bytes: number): string => (bytes / 1024).toFixed(1)

/** `messages / KiB`. */
export const traffic = (messages: number, bytes: number): string =>
  `${messages.toLocaleString('en-US')} / ${kib(bytes)}`

/** True when the phase has a failure of its own (not just "not measured"). */
export const failedHere = (s: PhaseSummary): boolean =>
  s.error !== undefined && !s.error.startsWith('not measured')

/** A table row for a phase without numbers: the system, the reason, blank cells. */
export function errorRow(system: string, summary: PhaseSummary, columns: number): string[] {
  const reason = failedHere(summary) ? `failed: ${summary.error}` : (summary.error ?? '')
  return [system, reason, ...Array.from({ length: columns - 2 }, () => '')]
}

/** `median (min–max)` of a phase's time. */
export const timeCell = (s: PhaseSummary): string => formatSpread(s.ms, 1)

/** The bars of one phase: every system that has numbers or failed in it. */
export function phaseBars(
  results: readonly SystemCatchUp[],
  phase: Phase,
  value: (s: PhaseSummary) => { value: number; min?: number; max?: number } = (s) => ({
    value: s.ms.median,
    min: s.ms.min,
    max: s.ms.max,
  }),
): Bar[] {
  return results
    .filter((r) => r.phases[phase].error === undefined || failedHere(r.phases[phase]))
    .map((r) => {
      const s = r.phases[phase]
      return s.error === undefined
        ? { label: r.system, ...value(s) }
        : { label: r.system, value: Number.NaN }
    })
}
