/**
 * Reconnect delays of peer links: exponential backoff with jitter, so a
 * relay that comes back is not hit by every peer at the same instant and a
 * peer that stays down costs a connection attempt every `max` ms at most.
 */

/**
 * The delay before reconnect attempt `attempt` (0 for the first retry):
 * `min * 2^attempt`, capped at `max`, then scaled by a random factor in
 * [0.5, 1) (`random` returns a number in [0, 1), e.g. `Math.random`).
 */
export function backoffDelay(
  attempt: number,
  min: number,
  max: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(max, min * 2 ** Math.min(attempt, 30))
  return Math.max(1, Math.round(base * (0.5 + random() / 2)))
}
