/**
 * What every connection of a relay shares: its identity and limits, the
 * loaded documents, the write pipeline, the store, rate limits, metrics,
 * the logger and the door to the mesh (peer relays dialing in). Built once
 * by `startRelay`, passed to each session.
 */
import type { DocId, Identity, RelayHello, UserId, VerifyFn } from '@feedmesh/core'
import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import type { AwarenessEntry } from './awarenessEntries.js'
import type { DocRegistry } from './DocRegistry.js'
import type { RelayMetrics } from './RelayMetrics.js'
import type { RelayLimits } from './relayOptions.js'
import type { RelayStore } from './store/RelayStore.js'
import type { UpdatePipeline } from './UpdatePipeline.js'
import type { UserRateLimits } from './UserRateLimits.js'

/** Shared state of one relay (see the module comment). */
export interface RelayContext {
  /** The relay's name. */
  readonly name: string
  /** The relay's key pair; its user id is the relay id. */
  readonly identity: Identity
  /** The limits in force. */
  readonly limits: RelayLimits
  /** Loaded documents and subscriptions. */
  readonly registry: DocRegistry
  /** The write path. */
  readonly pipeline: UpdatePipeline
  /** The durable store. */
  readonly store: RelayStore
  /** Per-user update rates. */
  readonly userRates: UserRateLimits
  /** Metrics. */
  readonly metrics: RelayMetrics
  /** The relay's logger. */
  readonly logger: Logger
  /** Native Ed25519 verification (for `AUTH`). */
  readonly verify: VerifyFn
  /** How long a connection may stay unauthenticated (no `HELLO` and `AUTH`), in ms. */
  readonly helloTimeoutMs: number
  /** True once the relay drains: new frames are ignored. */
  readonly draining: () => boolean
  /** How long a client connection may stay silent before it is closed (0: never). */
  readonly idleTimeoutMs: number
  /**
   * Takes over a connection whose first frame was a relay's `HELLO` (a peer
   * link dialing in), on which the relay sent a `CHALLENGE` with `nonce`:
   * the mesh authenticates it or refuses it. Returns where the frames that
   * were read after the `HELLO` (and not handled yet) go, in order.
   */
  readonly acceptPeer: (
    socket: WebSocket,
    hello: RelayHello,
    remote: string,
    nonce: Uint8Array,
  ) => (bytes: Uint8Array) => void
  /**
   * Hands checked presence of a local client of `userId`
   * (`awarenessCheck.ts`) to the mesh, which forwards it to the peer relays
   * and returns the entries to deliver locally (`mesh/Mesh.ts`).
   */
  readonly shareAwareness: (
    docId: DocId,
    entries: readonly AwarenessEntry[],
    userId: UserId,
  ) => readonly AwarenessEntry[]
}
