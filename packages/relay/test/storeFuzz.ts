/**
 * Seeds for the store's randomized tests: one seed per run, printed on
 * failure and replayable with `SEED=<n>`; a run count that is short in CI
 * and long with `EXTENSIVE=1`. Randomness comes from lib0's seeded PRNG.
 */
import * as prng from 'lib0/prng'

/** True when the long version of randomized tests was asked for. */
export const extensive = process.env.EXTENSIVE === '1'

/** The seed of this run: `SEED` from the environment, or a fresh one. */
export const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : Date.now() % 2 ** 31

/** The number of runs: `short` in CI, `long` with `EXTENSIVE=1`. */
export function runs(short: number, long: number): number {
  return extensive ? long : short
}

/**
 * Runs `body` with a PRNG seeded from `runSeed`; a failure is rethrown with
 * the seed and the command that replays it.
 */
export async function withSeed<T>(
  runSeed: number,
  body: (gen: prng.PRNG) => Promise<T>,
): Promise<T> {
  try {
    return await body(prng.create(runSeed))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(
      `${message}\nseed ${runSeed}; replay with: SEED=${runSeed} pnpm -F @feedmesh/relay test`,
      { cause: error },
    )
  }
}
