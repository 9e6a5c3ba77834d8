/**
 * The benchmark's output: a table on stdout, and the same results as JSON
 * and as a Markdown summary under `bench/results/` (`latest-quick.*` or
 * `latest-full.*`), with the machine and the versions of the peers.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { benchDir } from './spawnServer.js'
import { formatSpread, type Spread } from './stats.js'

/** One system in one scenario. */
export interface ResultRow {
  /** Scenario name. */
  scenario: string
  /** System (and configuration) name. */
  system: string
  /** Wall time until every document is synced, ms. */
  ms: Spread
  /** Server CPU time over the same interval, ms (10 ms resolution). */
  serverCpuMs: Spread
  /** Messages and payload bytes at the client's sockets (median over repetitions). */
  sentMessages: number
  sentBytes: number
  receivedMessages: number
  receivedBytes: number
  /** Sockets the client opened. */
  sockets: number
  /** Why the system could not finish, when it could not. */
  error?: string
}

/** The machine and software the run measured. */
export interface RunInfo {
  size: 'quick' | 'full'
  docs: number
  docBytes: number
  repetitions: number
  date: string
  node: string
  cpus: number
  cpuModel: string
  versions: Record<string, string>
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
export function machine(): Pick<RunInfo, 'node' | 'cpus' | 'cpuModel' | 'date'> {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
  }
}

const kib = (bytes: number): string => (bytes / 1024).toFixed(1)

/** The rows of the table, as cells. */
function cells(rows: readonly ResultRow[], floor: Spread | undefined): string[][] {
  const header = [
    'scenario',
    'system',
    'time ms, median (min–max)',
    'x floor',
    'sent msgs / KiB',
    'received msgs / KiB',
    'sockets',
    'server CPU ms',
  ]
  const body = rows.map((r) =>
    r.error !== undefined
      ? [r.scenario, r.system, `failed: ${r.error}`, '', '', '', '', '']
      : [
          r.scenario,
          r.system,
          formatSpread(r.ms, 1),
          floor !== undefined && r.scenario.startsWith('cold')
            ? (r.ms.median / floor.median).toFixed(2)
            : '',
          `${r.sentMessages} / ${kib(r.sentBytes)}`,
          `${r.receivedMessages} / ${kib(r.receivedBytes)}`,
          String(r.sockets),
          formatSpread(r.serverCpuMs),
        ],
  )
  return [header, ...body]
}

/** A plain-text table for stdout. */
export function textTable(rows: readonly ResultRow[], floor: Spread | undefined): string {
  const all = cells(rows, floor)
  const widths = all[0]!.map((_, i) => Math.max(...all.map((row) => row[i]!.length)))
  return all.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n')
}

/** A Markdown table. */
function markdownTable(rows: readonly ResultRow[], floor: Spread | undefined): string {
  const all = cells(rows, floor)
  const line = (row: string[]) => `| ${row.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`
  return [line(all[0]!), line(all[0]!.map(() => '---')), ...all.slice(1).map(line)].join('\n')
}

/** Writes `latest-<size>.json` and `latest-<size>.md` under bench/results; returns their paths. */
export function writeResults(
  info: RunInfo,
  floor: Spread,
  rows: readonly ResultRow[],
  notes: readonly string[],
): string[] {
  const dir = path.join(benchDir, 'results')
  fs.mkdirSync(dir, { recursive: true })
  const json = path.join(dir, `latest-${info.size}.json`)
  const md = path.join(dir, `latest-${info.size}.md`)
  fs.writeFileSync(
    json,
    `${JSON.stringify({ info, decodeFloorMs: floor, rows, notes }, null, 2)}\n`,
  )
  const versions = Object.entries(info.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ')
  fs.writeFileSync(
    md,
    [
      `# feedmesh vs peers (${info.size}: ${info.docs} documents of ~${info.docBytes} B)`,
      '',
      `${info.date}; Node ${info.node}; ${info.cpus} × ${info.cpuModel}; ${versions}.`,
      `One warm-up run, then ${info.repetitions} repetitions; servers in their own processes on 127.0.0.1.`,
      '',
      `Decode floor (applying the ${info.docs} updates into fresh Y.Docs in-process): ${formatSpread(floor, 1)} ms.`,
      '',
      markdownTable(rows, floor),
      '',
      ...notes.map((n) => `- ${n}`),
      '',
    ].join('\n'),
  )
  return [json, md]
}
