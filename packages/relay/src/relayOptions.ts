/**
 * The options of a relay ({@link RelayOptions}), its limits
 * ({@link RelayLimits}) and their defaults. `startRelay` takes the options;
 * the CLI builds them from flags and environment variables.
 */
import type { Logger } from 'pino'
import type { RelayStore } from './store/RelayStore.js'

/** The limits a relay enforces; every field has a default in {@link DefaultRelayLimits}. */
export interface RelayLimits {
  /** Largest WebSocket frame accepted, in bytes (larger: close 1009). */
  maxFrameBytes: number
  /** Most documents one connection may have subscribed at once. */
  maxDocsPerConnection: number
  /** Most entries in one batch (`SUBSCRIBE`, `UNSUBSCRIBE`). */
  maxBatch: number
  /** Largest record (its JSON), in bytes. */
  maxRecordBytes: number
  /** Updates per second one connection may send (token bucket rate). */
  connectionRate: number
  /** Updates one connection may send in a burst. */
  connectionBurst: number
  /** Updates per second one user may send over all its connections. */
  userRate: number
  /** Updates one user may send in a burst. */
  userBurst: number
  /** Bytes queued for a slow reader before its connection is closed (1013 try again later). */
  maxBufferedBytes: number
}

/** The default limits. */
export const DefaultRelayLimits: RelayLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxDocsPerConnection: 10_000,
  maxBatch: 10_000,
  maxRecordBytes: 16 * 1024,
  connectionRate: 500,
  connectionBurst: 1000,
  userRate: 1000,
  userBurst: 2000,
  maxBufferedBytes: 64 * 1024 * 1024,
}

/** Options of `startRelay`. */
export interface RelayOptions {
  /** Directory of the relay's data: `relay.key`, the SQLite database, the epoch file. Created if missing. */
  data: string
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number
  /** The relay's name, in `HELLO` and `/healthz`. Default `feedmesh-relay`. */
  name?: string
  /** Directory of static files served over HTTP (an app), with `index.html` as fallback. */
  app?: string
  /** Limits; missing fields take {@link DefaultRelayLimits}. */
  limits?: Partial<RelayLimits>
  /** How long a document stays loaded with no subscriber and no work. Default 60 000 ms. */
  idleUnloadMs?: number
  /**
   * How long the relay remembers a subscription set nobody named (a client
   * resuming after that re-sends its list once). Default 3 600 000 ms.
   */
  subscriptionSetIdleMs?: number
  /** How long a connection may stay unauthenticated (no `HELLO` and valid `AUTH`). Default 10 000 ms. */
  helloTimeoutMs?: number
  /** How long `close()` waits for pending writes before closing anyway. Default 10 000 ms. */
  drainTimeoutMs?: number
  /** Number of updates in a document's log from which the store compacts it in the background. */
  compactAfter?: number
  /** The logger (default: pino JSON on stderr at level `info`). */
  logger?: Logger
  /** A store to use instead of the SQLite store under `data` (closed by the relay on close). */
  store?: RelayStore
  /**
   * How long a connection may stay silent (no frame, no WebSocket ping or
   * pong) before it is closed with `IdleTimeout` (4006). Clients that send
   * keepalive `PING`s stay open; peer links ping each other at a quarter of
   * it. 0 disables the timeout for clients. Default 60 000 ms.
   */
  idleTimeoutMs?: number
  /** Peer relays to link to, by WebSocket URL (e.g. `wss://eu-1.example.org`). */
  peers?: readonly string[]
  /**
   * Relays (ws:// or wss:// URLs) that `GET /feedmesh.json` lists for apps
   * to offer their users, e.g. this relay's public URL and its mesh peers'.
   */
  clientRelays?: readonly string[]
  /** Public keys of the relays allowed to link (both the ones dialed and the ones dialing in). */
  trust?: readonly string[]
  /** Mesh tuning; missing fields take {@link DefaultMeshOptions}. */
  mesh?: Partial<MeshOptions>
}

/** Tuning of the mesh (peer links); every field has a default in {@link DefaultMeshOptions}. */
export interface MeshOptions {
  /** A peer link asks its peer for the documents changed since its cursor at least this often, ms. */
  syncIntervalMs: number
  /** After a live update arrives from a peer, its catch-up round (which advances the cursor) follows within this delay, ms. */
  syncDebounceMs: number
  /** First reconnect delay of a peer link, ms (doubled on each failure, with jitter). */
  retryMinMs: number
  /** Longest reconnect delay of a peer link, ms. */
  retryMaxMs: number
  /** Bytes waiting to be sent to one peer above which live updates to it are dropped (the peer's catch-up fetches them). */
  maxQueueBytes: number
  /** Documents per `CHANGES` batch and per `SUBSCRIBE` of a catch-up round. */
  batchDocs: number
  /** How long a peer link waits for an answer (`CHANGES`, `SYNCED`) before giving the link up, ms. */
  answerTimeoutMs: number
}

/** The default mesh tuning. */
export const DefaultMeshOptions: MeshOptions = {
  syncIntervalMs: 10_000,
  syncDebounceMs: 1_000,
  retryMinMs: 250,
  retryMaxMs: 30_000,
  maxQueueBytes: 16 * 1024 * 1024,
  batchDocs: 1000,
  answerTimeoutMs: 60_000,
}

/** The defaults of the optional {@link RelayOptions} fields that are not limits. */
export const DefaultRelayOptions = {
  host: '127.0.0.1',
  port: 0,
  name: 'feedmesh-relay',
  idleUnloadMs: 60_000,
  subscriptionSetIdleMs: 3_600_000,
  helloTimeoutMs: 10_000,
  drainTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
} as const

/** Fills in the default limits; throws a `RangeError` naming a limit that is not a positive number. */
export function resolveLimits(limits: Partial<RelayLimits> = {}): RelayLimits {
  const resolved: RelayLimits = { ...DefaultRelayLimits }
  for (const key of Object.keys(DefaultRelayLimits) as (keyof RelayLimits)[]) {
    const value = limits[key]
    if (value === undefined) continue
    if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
      throw new RangeError(`limit ${key} must be a positive number, got ${String(value)}`)
    }
    resolved[key] = value
  }
  return resolved
}

/** Fills in the default mesh tuning; throws a `RangeError` naming a field that is not a positive number. */
export function resolveMeshOptions(options: Partial<MeshOptions> = {}): MeshOptions {
  const resolved: MeshOptions = { ...DefaultMeshOptions }
  for (const key of Object.keys(DefaultMeshOptions) as (keyof MeshOptions)[]) {
    const value = options[key]
    if (value === undefined) continue
    if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
      throw new RangeError(`mesh option ${key} must be a positive number, got ${String(value)}`)
    }
    resolved[key] = value
  }
  if (resolved.retryMaxMs < resolved.retryMinMs) resolved.retryMaxMs = resolved.retryMinMs
  return resolved
}
