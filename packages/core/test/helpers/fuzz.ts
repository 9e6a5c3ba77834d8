/**
 * Settings shared by every randomized test: a seed that is printed on
 * failure and can be replayed with `SEED=<n>`, and a run count that is short
 * in CI and long with `EXTENSIVE=1`.
 */
import fc from 'fast-check'

/** True when the long version of randomized tests was asked for. */
export const extensive = process.env.EXTENSIVE === '1'

/** The seed of this run: `SEED` from the environment, or a fresh one. */
export const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : Date.now() % 2 ** 31

/** The number of runs: `short` in CI, `long` with `EXTENSIVE=1`. */
export function runs(short: number, long: number): number {
  return extensive ? long : short
}

/**
 * fast-check parameters for one property: seeded, with the seed and the
 * replay command in the failure message.
 */
export function fcParams<T>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return {
    seed,
    numRuns,
    reporter(details) {
      if (details.failed) {
        throw new Error(
          `${fc.defaultReportMessage(details)}\nreplay with: SEED=${details.seed} pnpm -F @feedmesh/core test`,
          { cause: details.errorInstance },
        )
      }
    },
    ...extra,
  }
}
