/**
 * A token bucket: `rate` tokens per second flow into a bucket of `burst`
 * tokens; each update takes one. Used for the per-connection and per-user
 * update rates of the relay.
 */

/** The default clock, shared by every bucket (one closure, not one per bucket). */
const monotonicNow = (): number => performance.now()

/** A token bucket refilled continuously at `rate` per second, holding at most `burst`. */
export class TokenBucket {
  readonly #rate: number
  readonly #burst: number
  #tokens: number
  #last: number

  /**
   * @param rate tokens added per second (`Infinity`: unlimited)
   * @param burst capacity, and the tokens the bucket starts with
   * @param now clock in milliseconds (for tests)
   */
  constructor(
    rate: number,
    burst: number,
    private readonly now: () => number = monotonicNow,
  ) {
    this.#rate = rate
    this.#burst = Math.max(1, burst)
    this.#tokens = this.#burst
    this.#last = now()
  }

  /** Takes one token; false (and takes nothing) when the bucket is empty. */
  take(): boolean {
    if (this.#rate === Number.POSITIVE_INFINITY) return true
    this.#refill()
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }

  /** True when the bucket is full (it can be forgotten without changing anything). */
  full(): boolean {
    this.#refill()
    return this.#tokens >= this.#burst
  }

  #refill(): void {
    const t = this.now()
    this.#tokens = Math.min(this.#burst, this.#tokens + ((t - this.#last) / 1000) * this.#rate)
    this.#last = t
  }
}
