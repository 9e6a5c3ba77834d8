/**
 * What the scenarios drive on each system: a client that opens every
 * seeded document and resolves once all are synced, can drop its
 * connection(s) and catch up again, and closes. The client holds full
 * Y.Docs, so its time includes applying what it receives. Dropping the
 * connection and catching up are two steps, so that something can change
 * on the server in between (outside the measured time). Beside it, a
 * writer: another device of the documents' owners that writes changes to
 * the server and resolves once the server holds them.
 */
import type * as Y from 'yjs'
import type { Wire } from '../countingSocket.js'
import type { SeedDoc } from '../seedData.js'

/** One system's client for the cold-subscribe and reconnect scenarios. */
export interface BenchClient {
  /** Opens every document; resolves when all are synced. */
  open(): Promise<void>
  /** Drops the connection(s); resolves once they are closed. */
  disconnect(): Promise<void>
  /** Connects again after {@link BenchClient.disconnect}; resolves when all documents are synced again. */
  catchUp(): Promise<void>
  /** The client's replica of `docId`, to check what it holds. */
  doc(docId: string): Y.Doc | undefined
  /** Closes everything. */
  close(): Promise<void>
}

/** Options of a {@link ClientFactory}. */
export interface ClientOptions {
  /** Give a sync up after this long, ms (default {@link DEFAULT_SYNC_TIMEOUT_MS}). */
  syncTimeoutMs?: number
}

/** Default of {@link ClientOptions.syncTimeoutMs}. */
export const DEFAULT_SYNC_TIMEOUT_MS = 60_000

/** Makes a {@link BenchClient} of `docIds` on the server at `url`, counting into `wire`. */
export type ClientFactory = (
  url: string,
  docIds: readonly string[],
  wire: Wire,
  options?: ClientOptions,
) => BenchClient

/** Another device writing to the server while the measured client is away. */
export interface BenchWriter {
  /** Writes every change (one update per document); resolves once the server holds all of them. */
  write(changes: readonly SeedDoc[]): Promise<void>
  /** Closes the writer's connection(s). */
  close(): Promise<void>
}

/** Makes a {@link BenchWriter} for the server at `url`. */
export type WriterFactory = (url: string) => BenchWriter

/** Rejects after `ms` with `what`, unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
