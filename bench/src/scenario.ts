/**
 * What a benchmark scenario is: an id, a title, and a `run` that measures
 * feedmesh and its peers side by side and returns tables, notes, charts
 * and raw data. `run.ts` runs the selected scenarios in order and writes
 * the report (see `report.ts`).
 */

/** How big a run is: `smoke` proves the harness works (CI), `quick` is the default, `full` with `BENCH_FULL=1`. */
export type BenchSize = 'smoke' | 'quick' | 'full'

/** What every scenario gets from the runner. */
export interface BenchContext {
  /** The size of this run. */
  size: BenchSize
  /** Measured repetitions after one warm-up (fewer in a smoke run). */
  repetitions: number
  /** A scratch directory, removed when the run ends. */
  tmp: string
  /** Prints a progress line. */
  log(line: string): void
}

/** A table: a header row and body rows, every cell already formatted. */
export interface Table {
  /** Shown above the table. */
  title: string
  /** Header cells. */
  columns: string[]
  /** Body rows, one cell per column. */
  rows: string[][]
}

/** One bar of a chart. */
export interface Bar {
  /** The system (and configuration) measured. */
  label: string
  /** The median. */
  value: number
  /** The smallest repetition, when there were several. */
  min?: number
  /** The largest repetition, when there were several. */
  max?: number
  /** A reference to compare against (a floor, a payload size), not a system: drawn apart. */
  reference?: boolean
}

/** A horizontal bar chart, written as SVG for the README. */
export interface Chart {
  /** File name stem under `bench/results/charts/` (`<stem>.svg`). */
  file: string
  /** Chart title. */
  title: string
  /** Unit of the values (`ms`, `KiB`, ...). */
  unit: string
  /** True when a shorter bar is better. */
  lowerIsBetter: boolean
  /** The bars, top to bottom. */
  bars: Bar[]
  /** A short caption line under the chart (e.g. the size measured). */
  note?: string
}

/** What a scenario reports. */
export interface ScenarioResult {
  /** One or more tables. */
  tables: Table[]
  /** How it was measured, caveats, peer configuration: one sentence each. */
  notes: string[]
  /** Charts for the README. */
  charts: Chart[]
  /** Raw figures, JSON-serializable, kept in the results file. */
  data: unknown
}

/** A benchmark scenario. */
export interface Scenario {
  /** Short id used by `BENCH_ONLY=<id>,<id>`. */
  id: string
  /** Title in the report. */
  title: string
  /** Measures every system; never throws for a peer's failure (reports it in the table instead). */
  run(ctx: BenchContext): Promise<ScenarioResult>
}
