/**
 * Seeded randomness for the end-to-end tests (same conventions as
 * packages/core/test/helpers/fuzz.ts): the seed comes from `SEED` or the
 * clock, is printed with any failure, and replays the same schedule of
 * operations; `EXTENSIVE=1` asks for the long version. The generator is a
 * small mulberry32 (this package has no fast-check).
 */

/** True when the long version of randomized tests was asked for. */
export const extensive = process.env.EXTENSIVE === '1'

/** The seed of this run: `SEED` from the environment, or a fresh one. */
export const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : Date.now() % 2 ** 31

/** The number of operations: `short` by default, `long` with `EXTENSIVE=1`. */
export function runs(short: number, long: number): number {
  return extensive ? long : short
}

/** A seeded pseudo-random generator. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [0, n). */
  int(n: number): number
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T
  /** True with probability `p`. */
  chance(p: number): boolean
}

/** A mulberry32 generator seeded with `s`. */
export function rng(s: number): Rng {
  let state = s >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const int = (n: number): number => Math.floor(next() * n)
  return {
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty array')
      return items[int(items.length)] as T
    },
    chance: (p) => next() < p,
  }
}

/** Runs `body` with a generator seeded by `runSeed`; a failure names the seed and the replay command. */
export async function withSeed<T>(
  runSeed: number,
  file: string,
  body: (gen: Rng) => Promise<T>,
): Promise<T> {
  try {
    return await body(rng(runSeed))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(
      `${message}\nseed ${runSeed}; replay with: SEED=${runSeed} pnpm -C test exec vitest run ${file}`,
      { cause: error },
    )
  }
}
