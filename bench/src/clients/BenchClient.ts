/**
 * What the scenarios drive on each system: a client that opens every
 * seeded document and resolves once all are synced, can drop its
 * connection(s) and catch up again, and closes. The client holds full
 * Y.Docs, so its time includes applying what it receives.
 */

/** One system's client for the cold-subscribe and reconnect scenarios. */
export interface BenchClient {
  /** Opens every document; resolves when all are synced. */
  open(): Promise<void>
  /** Drops the connection(s), connects again and resolves when all documents are synced again. */
  reconnect(): Promise<void>
  /** Closes everything. */
  close(): Promise<void>
}

/** Rejects after `ms` with `what`, unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
