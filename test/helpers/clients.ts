/**
 * FeedClients over real WebSocket transports for the end-to-end tests:
 * opened with short backoffs and keepalives (injectable timings keep the
 * tests fast), registered for teardown as they are created, and a bounded
 * `until` for conditions that arrive over the network.
 */
import {
  type BackoffOptions,
  FeedClient,
  Identity,
  MemoryStorage,
  RecordVerifier,
  type StorageAdapter,
  type SyncStatus,
  WebSocketTransport,
} from '@feedmesh/core'
import { onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

/** Options of {@link openClient}. */
export interface OpenClientOptions {
  /** The user (default: a new one). */
  identity?: Identity
  /** Storage (default: a new MemoryStorage, kept open across the client's close). */
  storage?: StorageAdapter
  /** Backoff of the sync engine (default: fast, for tests). */
  backoff?: BackoffOptions
  /** Resume catch-up in the transports (default false). */
  resume?: boolean
}

/** A client and what the test looks at. */
export interface TestClient {
  client: FeedClient
  identity: Identity
  storage: StorageAdapter
  transports: WebSocketTransport[]
  /** Every distinct sync status the client went through, in order. */
  statuses: SyncStatus[]
}

/** Fast timings: reconnect within ~50-200 ms, probe the preferred relay every 300 ms. */
export const fastBackoff: BackoffOptions = { baseMs: 50, maxMs: 200, preferredRetryMs: 300 }

/** Opens a client on `urls` (most preferred first); closed at the end of the test. */
export async function openClient(
  urls: readonly string[],
  options: OpenClientOptions = {},
): Promise<TestClient> {
  const identity = options.identity ?? Identity.generate()
  const storage = options.storage ?? new MemoryStorage()
  const transports = urls.map(
    (url) =>
      new WebSocketTransport({
        url,
        identity,
        WebSocket,
        resume: options.resume ?? false,
        pingIntervalMs: 1_000,
        idleTimeoutMs: 5_000,
        handshakeTimeoutMs: 5_000,
      }),
  )
  const client = await FeedClient.open({
    identity,
    storage,
    transports,
    verifier: new RecordVerifier(),
    backoff: options.backoff ?? fastBackoff,
  })
  onTestFinished(() => client.close())
  const statuses: SyncStatus[] = []
  const status = client.syncStatus()
  statuses.push(status.current)
  status.subscribe((s) => statuses.push(s))
  return { client, identity, storage, transports, statuses }
}

/** Waits (polling, bounded) until `cond` holds. */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** The port of a relay URL. */
export const portOf = (url: string): number => Number(new URL(url).port)

/** The relays a status sequence went through, consecutive repeats collapsed (`-` = offline). */
export function relaysSeen(statuses: readonly SyncStatus[]): string[] {
  const seen: string[] = []
  for (const s of statuses) {
    const where = s.online ? (s.relay ?? '?') : '-'
    if (seen.at(-1) !== where) seen.push(where)
  }
  return seen
}
