/** Timing helpers for the core benchmarks: repeated runs, median with min and max. */

/** Median, min and max of repeated measurements, in milliseconds. */
export interface Measurement {
  median: number
  min: number
  max: number
}

/** Runs `fn` `warmup` times unmeasured, then `reps` times measured. */
export async function measure(
  fn: () => Promise<unknown> | unknown,
  reps = 5,
  warmup = 1,
): Promise<Measurement> {
  for (let i = 0; i < warmup; i++) await fn()
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]!, max: times.at(-1)! }
}

/** Formats a measurement as `median ms (min–max)`. */
export function fmt(m: Measurement): string {
  return `${m.median.toFixed(1)} ms (${m.min.toFixed(1)}–${m.max.toFixed(1)})`
}
