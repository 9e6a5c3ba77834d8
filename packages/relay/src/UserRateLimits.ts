/**
 * The per-user update rate: one {@link TokenBucket} per authenticated user,
 * shared by all of that user's connections, so opening more connections
 * does not buy more writes. Buckets that refilled completely are forgotten
 * by {@link UserRateLimits.sweep}, so memory follows the active users.
 */
import { TokenBucket } from './TokenBucket.js'

/** Token buckets keyed by user id. */
export class UserRateLimits {
  readonly #buckets = new Map<string, TokenBucket>()

  /**
   * @param rate updates per second per user
   * @param burst updates a user may send at once
   */
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  /** Takes one token from `userId`'s bucket; false when the user is over its rate. */
  take(userId: string): boolean {
    let bucket = this.#buckets.get(userId)
    if (bucket === undefined) {
      bucket = new TokenBucket(this.rate, this.burst)
      this.#buckets.set(userId, bucket)
    }
    return bucket.take()
  }

  /** Forgets the buckets that are full again. */
  sweep(): void {
    for (const [userId, bucket] of this.#buckets) if (bucket.full()) this.#buckets.delete(userId)
  }

  /** Number of users with a bucket (for tests). */
  get size(): number {
    return this.#buckets.size
  }
}
