/** Repetition statistics: median with min and max. */

/** Median, min and max of repeated measurements. */
export interface Spread {
  median: number
  min: number
  max: number
}

/** The {@link Spread} of `values` (NaN everywhere when empty). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN }
  const sorted = [...values].sort((a, b) => a - b)
  return {
    median: sorted[Math.floor(sorted.length / 2)]!,
    min: sorted[0]!,
    max: sorted.at(-1)!,
  }
}

/** `median (min–max)` with `digits` decimals. */
export function formatSpread(s: Spread, digits = 0): string {
  if (Number.isNaN(s.median)) return 'n/a'
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`
}
