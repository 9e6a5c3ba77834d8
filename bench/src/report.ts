/**
 * The benchmark's output: tables as plain text for stdout, and the results
 * file set of one size: `latest-<size>.json` (the machine, Node, the peers'
 * versions and, per scenario, its tables, notes, charts and raw data),
 * `latest-<size>.md` (a section per scenario: tables, notes, charts) and
 * one SVG per chart under `charts/` (`charts-<size>/` for the sizes other
 * than quick). A run of some scenarios only
 * (`BENCH_ONLY`) merges into the existing file set, replacing just those.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BenchSize, Chart, Table } from './scenario.js'
import { benchDir } from './spawnServer.js'
import { renderBarChart } from './svgChart.js'

/** The machine and software of a run. */
export interface RunInfo {
  /** The size measured. */
  size: BenchSize
  /** When the run started (ISO). */
  date: string
  /** Node version. */
  node: string
  /** Logical cores. */
  cpus: number
  /** CPU model. */
  cpuModel: string
  /** Versions of the packages compared. */
  versions: Record<string, string>
}

/** One scenario's entry in the results file. */
export interface ScenarioReport {
  /** Scenario id. */
  id: string
  /** Scenario title. */
  title: string
  /** When it ran (ISO). */
  date: string
  /** Measured repetitions of that run. */
  repetitions: number
  /** How long it took, s. */
  seconds: number
  /** Why it produced nothing, when it threw. */
  error?: string
  /** Its tables. */
  tables: Table[]
  /** Its notes. */
  notes: string[]
  /** Its charts (also written as SVG). */
  charts: Chart[]
  /** Its raw figures. */
  data: unknown
}

/** The JSON results file. */
export interface ResultsFile {
  /** The latest run that wrote to it. */
  info: RunInfo
  /** The scenarios, in run order. */
  scenarios: ScenarioReport[]
}

/** Versions of the packages compared, read from the installed package.json files. */
export function installedVersions(names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of names) {
    try {
      const file = path.join(benchDir, 'node_modules', name, 'package.json')
      out[name] = (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version
    } catch {
      out[name] = 'unknown'
    }
  }
  return out
}

/** The machine description of {@link RunInfo}. */
export function machine(): Pick<RunInfo, 'node' | 'cpus' | 'cpuModel'> {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
  }
}

/** A plain-text table for stdout, with its title above. */
export function textTable(table: Table): string {
  const all = [table.columns, ...table.rows]
  const widths = table.columns.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)))
  const lines = all.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  )
  return [table.title, ...lines].join('\n')
}

/** A Markdown table. */
export function markdownTable(table: Table): string {
  const line = (row: readonly string[]) =>
    `| ${row.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`
  return [line(table.columns), line(table.columns.map(() => '---')), ...table.rows.map(line)].join(
    '\n',
  )
}

/** The Markdown summary of a results file. */
function markdown(results: ResultsFile): string {
  const { info } = results
  const versions = Object.entries(info.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ')
  const out = [
    `# feedmesh vs peers (${info.size})`,
    '',
    `Latest run ${info.date}; Node ${info.node}; ${info.cpus} × ${info.cpuModel}; ${versions}.`,
    'Servers in their own processes on 127.0.0.1; one warm-up run, then the repetitions; medians with (min–max).',
    '',
  ]
  for (const s of results.scenarios) {
    out.push(
      `## ${s.title}`,
      '',
      `Measured ${s.date}, ${s.repetitions} repetitions, ${s.seconds.toFixed(0)} s.`,
      '',
    )
    if (s.error !== undefined) out.push(`Failed: ${s.error}`, '')
    for (const table of s.tables) out.push(`**${table.title}**`, '', markdownTable(table), '')
    if (s.notes.length > 0) out.push(...s.notes.map((n) => `- ${n}`), '')
    const dir = chartsDir(info.size)
    for (const chart of s.charts) out.push(`![${chart.title}](${dir}/${chart.file}.svg)`, '')
  }
  return out.join('\n')
}

/**
 * The folder of a run size's charts beside its results: `charts` for the
 * quick size the README shows, `charts-<size>` for the others, so a full
 * run does not replace the README's charts.
 */
function chartsDir(size: BenchSize): string {
  return size === 'quick' ? 'charts' : `charts-${size}`
}

/** Reads a results file written before, or nothing. */
function readResults(file: string): ResultsFile | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ResultsFile>
    return Array.isArray(parsed.scenarios) ? (parsed as ResultsFile) : undefined
  } catch {
    return undefined
  }
}

/**
 * Writes the results file set of `info.size` into `dir` (see the module
 * comment); with `merge`, scenarios of the existing JSON that did not run
 * now are kept. `order` is the run order of every scenario id. Returns
 * the paths written.
 */
export function writeResults(
  dir: string,
  info: RunInfo,
  reports: readonly ScenarioReport[],
  order: readonly string[],
  merge: boolean,
): string[] {
  const json = path.join(dir, `latest-${info.size}.json`)
  const md = path.join(dir, `latest-${info.size}.md`)
  const charts = path.join(dir, chartsDir(info.size))
  fs.mkdirSync(charts, { recursive: true })
  const kept = merge ? (readResults(json)?.scenarios ?? []) : []
  const ran = new Set(reports.map((r) => r.id))
  const rank = (id: string) => {
    const at = order.indexOf(id)
    return at < 0 ? order.length : at
  }
  const scenarios = [...kept.filter((s) => !ran.has(s.id)), ...reports].sort(
    (a, b) => rank(a.id) - rank(b.id),
  )
  const results: ResultsFile = { info, scenarios }
  fs.writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`)
  fs.writeFileSync(md, markdown(results))
  const written = [json, md]
  for (const report of reports) {
    for (const chart of report.charts) {
      const file = path.join(charts, `${chart.file}.svg`)
      fs.writeFileSync(file, renderBarChart(chart))
      written.push(file)
    }
  }
  return written
}
