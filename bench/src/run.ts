/**
 * `pnpm bench`: feedmesh against the stock y-websocket server and
 * Hocuspocus, every scenario of `scenarios/index.ts` in one run on this
 * machine.
 *
 * Environment:
 * - `BENCH_FULL=1`: the full size; `BENCH_SMOKE=1`: tiny sizes that only
 *   prove the harness works (CI), written to a scratch directory instead
 *   of `bench/results` (printed at the end); otherwise the quick size.
 * - `BENCH_REPS=n`: measured repetitions after one warm-up (default 5, 1
 *   in a smoke run).
 * - `BENCH_ONLY=id,id`: run only these scenarios, merging their results
 *   into the existing results files.
 * - `BENCH_OUT=dir`: write the results there instead.
 *
 * A scenario that throws is reported as failed and the run goes on; the
 * run then exits with 1 (a broken harness fails CI). Numbers never fail
 * the run, nor does a peer that cannot finish (that is a result).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  installedVersions,
  machine,
  type RunInfo,
  type ScenarioReport,
  textTable,
  writeResults,
} from './report.js'
import type { BenchContext, BenchSize, Scenario } from './scenario.js'
import { scenarios } from './scenarios/index.js'
import { benchDir } from './spawnServer.js'

/** The size from `BENCH_SMOKE` / `BENCH_FULL`. */
function sizeFromEnv(): BenchSize {
  if (process.env.BENCH_SMOKE === '1') return 'smoke'
  if (process.env.BENCH_FULL === '1') return 'full'
  return 'quick'
}

/** The scenarios `BENCH_ONLY` selects (all without it); unknown ids are an error. */
function selected(): readonly Scenario[] {
  const only = process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  if (only === undefined || only.length === 0) return scenarios
  const unknown = only.filter((id) => !scenarios.some((s) => s.id === id))
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY: unknown scenario ${unknown.join(', ')} (known: ${scenarios.map((s) => s.id).join(', ')})`,
    )
  }
  return scenarios.filter((s) => only.includes(s.id))
}

async function main(): Promise<number> {
  // y-websocket adds a process 'exit' listener per provider.
  process.setMaxListeners(0)
  const size = sizeFromEnv()
  const repetitions = Number(process.env.BENCH_REPS ?? (size === 'smoke' ? 1 : 5))
  if (!(Number.isInteger(repetitions) && repetitions >= 1)) {
    throw new Error(`BENCH_REPS must be a positive integer, got ${process.env.BENCH_REPS}`)
  }
  const chosen = selected()
  const partial = chosen.length < scenarios.length
  const outDir =
    process.env.BENCH_OUT ??
    (size === 'smoke'
      ? path.join(os.tmpdir(), 'feedmesh-bench-smoke')
      : path.join(benchDir, 'results'))
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-bench-'))
  const started = performance.now()
  const info: RunInfo = {
    size,
    date: new Date().toISOString(),
    ...machine(),
    versions: installedVersions([
      'yjs',
      'y-websocket',
      '@y/websocket-server',
      '@hocuspocus/server',
      '@hocuspocus/provider',
      '@hocuspocus/extension-sqlite',
      'ws',
    ]),
  }
  console.log(
    `${size} run, ${repetitions} repetition(s) after one warm-up: ${chosen.map((s) => s.id).join(', ')}`,
  )
  const reports: ScenarioReport[] = []
  try {
    for (const scenario of chosen) {
      console.log(`\n== ${scenario.title} (${scenario.id})`)
      const ctx: BenchContext = {
        size,
        repetitions,
        tmp: fs.mkdtempSync(path.join(tmp, `${scenario.id}-`)),
        log: (line) => console.log(`  ${line}`),
      }
      const t0 = performance.now()
      const date = new Date().toISOString()
      try {
        const result = await scenario.run(ctx)
        const seconds = (performance.now() - t0) / 1000
        reports.push({
          id: scenario.id,
          title: scenario.title,
          date,
          repetitions,
          seconds,
          ...result,
        })
        for (const table of result.tables) console.log(`\n${textTable(table)}`)
        console.log(`\n  (${seconds.toFixed(1)} s)`)
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
        console.error(`  FAILED: ${message}`)
        reports.push({
          id: scenario.id,
          title: scenario.title,
          date,
          repetitions,
          seconds: (performance.now() - t0) / 1000,
          error: error instanceof Error ? error.message : String(error),
          tables: [],
          notes: [],
          charts: [],
          data: null,
        })
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  const written = writeResults(
    outDir,
    info,
    reports,
    scenarios.map((s) => s.id),
    partial,
  )
  const failed = reports.filter((r) => r.error !== undefined)
  console.log(`\nwritten: ${written.map((f) => path.relative(process.cwd(), f)).join(', ')}`)
  console.log(
    `done in ${((performance.now() - started) / 1000).toFixed(1)} s` +
      (failed.length > 0 ? `; FAILED: ${failed.map((r) => r.id).join(', ')}` : ''),
  )
  return failed.length > 0 ? 1 : 0
}

process.exit(await main())
