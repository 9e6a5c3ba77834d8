/**
 * Synchronises a client's documents with relays, over zero or more
 * transports in order of preference.
 *
 * Exchange, per connection:
 * - on open: one batch `subscribe` of every open document with its state
 *   vector; the relay answers each with `synced` (what the client misses),
 *   applied with the remote origin. Later, documents that open or close are
 *   subscribed or unsubscribed one by one;
 * - the outbox: every entry of `storage.outbox()` is sent with `ref` = its
 *   sequence number, and local writes made while connected are sent as soon
 *   as they are durable. An entry leaves the outbox only when the relay
 *   acknowledges it (`ack`), or when the relay's guard refused it (an error
 *   with code `refused` and its `ref`: it will never be accepted; counted);
 * - `update`: live changes of others, applied with the remote origin.
 *
 * Failover: when a connection closes, the next transport in the list is
 * tried after a backoff (exponential with jitter, bounded); while on a
 * less preferred relay, the preferred one is probed now and then and taken
 * back when it opens. Every timer is cleared by {@link SyncEngine.stop}.
 * Timers and randomness are injectable, so tests drive time by hand.
 */
import * as Y from 'yjs'
import type { DocId } from '../docIds.js'
import { ErrorCodes } from '../errors.js'
import type { StorageAdapter } from '../storage/StorageAdapter.js'
import type { RelayError, Transport, TransportHandler } from '../transport/Transport.js'
import type { DocStore } from './DocStore.js'
import type { SyncStatus } from './views.js'

/** Timer functions (injectable for tests). */
export interface Timers {
  /** Schedules `fn` after `ms`; returns a handle. */
  setTimeout(fn: () => void, ms: number): unknown
  /** Cancels a handle from `setTimeout`. */
  clearTimeout(handle: unknown): void
}

/** Reconnection settings. */
export interface BackoffOptions {
  /** First delay in ms (default 500). */
  baseMs?: number
  /** Longest delay in ms (default 30 000). */
  maxMs?: number
  /** How often to probe the preferred relay while on another one, ms (default 60 000). */
  preferredRetryMs?: number
}

/** Options of a {@link SyncEngine}. */
export interface SyncEngineOptions {
  /** The client's documents. */
  store: DocStore
  /** The client's storage (outbox). */
  storage: StorageAdapter
  /** Relays, most preferred first; may be empty. */
  transports: readonly Transport[]
  /** Clock. */
  now: () => number
  /** Backoff settings. */
  backoff?: BackoffOptions
  /** Timers (default: the global ones). */
  timers?: Timers
  /** Random numbers in [0, 1) for jitter (default `Math.random`). */
  random?: () => number
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
}

interface Connection {
  index: number
  transport: Transport
  open: boolean
  /** Outbox sequence numbers sent on this connection. */
  sent: Set<number>
  handler: TransportHandler
}

/** The outbox sender and relay failover of one client. */
export class SyncEngine {
  readonly #store: DocStore
  readonly #storage: StorageAdapter
  readonly #transports: readonly Transport[]
  readonly #now: () => number
  readonly #timers: Timers
  readonly #random: () => number
  readonly #baseMs: number
  readonly #maxMs: number
  readonly #preferredMs: number
  readonly #listeners = new Set<(status: SyncStatus) => void>()
  readonly #pending = new Set<number>()
  #status: SyncStatus = { online: false, pending: 0, refused: 0 }
  #active: Connection | undefined
  #probe: Connection | undefined
  #attempt = 0
  #retryTimer: unknown
  #probeTimer: unknown
  #stopped = false
  #unlisten: () => void = () => undefined
  #started: Promise<void> = Promise.resolve()

  /** @param options documents, storage, transports, clock and timers */
  constructor(options: SyncEngineOptions) {
    this.#store = options.store
    this.#storage = options.storage
    this.#transports = options.transports
    this.#now = options.now
    this.#timers = options.timers ?? defaultTimers
    this.#random = options.random ?? Math.random
    this.#baseMs = options.backoff?.baseMs ?? 500
    this.#maxMs = options.backoff?.maxMs ?? 30_000
    this.#preferredMs = options.backoff?.preferredRetryMs ?? 60_000
  }

  /** The current status. */
  get status(): SyncStatus {
    return this.#status
  }

  /** Calls `listener` on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Reads the outbox size and connects to the preferred relay. */
  start(): Promise<void> {
    this.#unlisten = this.#store.on({
      open: (docId, doc) => this.#onDocOpen(docId, doc),
      close: (docId) => this.#onDocClose(docId),
      local: (docId, update, seq) => this.#onLocal(docId, update, seq),
    })
    this.#started = this.#storage.outbox().then((entries) => {
      for (const entry of entries) this.#pending.add(entry.seq)
      this.#setStatus({ pending: this.#pending.size })
    })
    if (this.#transports.length > 0) this.#connect(0)
    return this.#started
  }

  /** Disconnects, clears every timer; no event is handled afterwards. */
  stop(): void {
    this.#stopped = true
    this.#unlisten()
    this.#timers.clearTimeout(this.#retryTimer)
    this.#timers.clearTimeout(this.#probeTimer)
    const conns = [this.#active, this.#probe]
    this.#active = undefined
    this.#probe = undefined
    for (const conn of conns) conn?.transport.disconnect()
    this.#setStatus({ online: false, relay: undefined })
    this.#listeners.clear()
  }

  #connect(index: number): void {
    if (this.#stopped) return
    const conn = this.#newConnection(index, false)
    this.#active = conn
    conn.transport.connect(conn.handler)
  }

  #newConnection(index: number, probe: boolean): Connection {
    const transport = this.#transports[index]!
    const conn: Connection = {
      index,
      transport,
      open: false,
      sent: new Set(),
      handler: {
        onOpen: (relay) => {
          if (!this.#current(conn)) return
          if (probe) this.#adoptProbe(conn)
          this.#onOpen(conn, relay)
        },
        onClose: (reason) => {
          if (!this.#current(conn)) return
          this.#onClose(conn, reason)
        },
        onSynced: (docId, update) => {
          if (this.#isActive(conn)) void this.#store.applyRemote(docId, update)
        },
        onUpdate: (docId, update) => {
          if (this.#isActive(conn)) void this.#store.applyRemote(docId, update)
        },
        onAck: (_docId, ref) => {
          if (this.#isActive(conn)) void this.#onAck(ref)
        },
        onError: (error) => {
          if (this.#isActive(conn)) void this.#onError(error)
        },
      },
    }
    return conn
  }

  #current(conn: Connection): boolean {
    return !this.#stopped && (this.#active === conn || this.#probe === conn)
  }

  #isActive(conn: Connection): boolean {
    return !this.#stopped && this.#active === conn && conn.open
  }

  #adoptProbe(conn: Connection): void {
    const old = this.#active
    this.#probe = undefined
    this.#active = conn
    if (old !== undefined) {
      old.open = false
      old.transport.disconnect()
    }
  }

  #onOpen(conn: Connection, relay: string): void {
    conn.open = true
    this.#attempt = 0
    this.#timers.clearTimeout(this.#retryTimer)
    this.#setStatus({ online: true, relay })
    const subscriptions = this.#store.openDocs().map(({ docId, doc }) => ({
      docId,
      stateVector: Y.encodeStateVector(doc),
    }))
    if (subscriptions.length > 0) conn.transport.subscribe(subscriptions)
    void this.#sendOutbox(conn)
    if (conn.index !== 0) this.#scheduleProbe()
  }

  async #sendOutbox(conn: Connection): Promise<void> {
    await this.#started
    const entries = await this.#storage.outbox().catch(() => [])
    for (const entry of entries) {
      if (!this.#isActive(conn)) return
      if (conn.sent.has(entry.seq)) continue
      conn.sent.add(entry.seq)
      conn.transport.sendUpdate(entry.docId, entry.update, entry.seq)
    }
  }

  #onClose(conn: Connection, _reason: string): void {
    if (this.#probe === conn) {
      this.#probe = undefined
      this.#scheduleProbe()
      return
    }
    conn.open = false
    this.#active = undefined
    this.#timers.clearTimeout(this.#probeTimer)
    const probe = this.#probe
    this.#probe = undefined
    probe?.transport.disconnect()
    this.#setStatus({ online: false, relay: undefined })
    const delay = Math.min(this.#maxMs, this.#baseMs * 2 ** this.#attempt)
    const jittered = Math.round(delay / 2 + (delay / 2) * this.#random())
    this.#attempt = Math.min(this.#attempt + 1, 30)
    const next = (conn.index + 1) % this.#transports.length
    this.#timers.clearTimeout(this.#retryTimer)
    this.#retryTimer = this.#timers.setTimeout(() => this.#connect(next), jittered)
  }

  #scheduleProbe(): void {
    if (this.#stopped || this.#transports.length < 2) return
    this.#timers.clearTimeout(this.#probeTimer)
    this.#probeTimer = this.#timers.setTimeout(() => {
      if (this.#stopped || this.#probe !== undefined || this.#active?.index === 0) return
      const probe = this.#newConnection(0, true)
      this.#probe = probe
      probe.transport.connect(probe.handler)
    }, this.#preferredMs)
  }

  #onDocOpen(docId: DocId, doc: Y.Doc): void {
    const conn = this.#active
    if (conn?.open !== true) return
    conn.transport.subscribe([{ docId, stateVector: Y.encodeStateVector(doc) }])
  }

  #onDocClose(docId: DocId): void {
    const conn = this.#active
    if (conn?.open === true) conn.transport.unsubscribe([docId])
  }

  #onLocal(docId: DocId, update: Uint8Array, seq: number): void {
    this.#pending.add(seq)
    this.#setStatus({ pending: this.#pending.size })
    const conn = this.#active
    if (conn?.open !== true || conn.sent.has(seq)) return
    conn.sent.add(seq)
    conn.transport.sendUpdate(docId, update, seq)
  }

  async #onAck(ref: number): Promise<void> {
    await this.#storage.removeFromOutbox([ref]).catch(() => undefined)
    this.#pending.delete(ref)
    this.#setStatus({ pending: this.#pending.size, lastAckAt: this.#now() })
  }

  async #onError(error: RelayError): Promise<void> {
    if (error.ref !== undefined && error.code === ErrorCodes.Refused) {
      await this.#storage.removeFromOutbox([error.ref]).catch(() => undefined)
      this.#pending.delete(error.ref)
      this.#setStatus({
        lastError: error,
        pending: this.#pending.size,
        refused: this.#status.refused + 1,
      })
      return
    }
    this.#setStatus({ lastError: error })
  }

  #setStatus(patch: Partial<SyncStatus>): void {
    const next: SyncStatus = { ...this.#status, ...patch }
    if (next.relay === undefined) delete next.relay
    if (next.lastAckAt === undefined) delete next.lastAckAt
    if (next.lastError === undefined) delete next.lastError
    this.#status = next
    for (const listener of [...this.#listeners]) listener(next)
  }
}
