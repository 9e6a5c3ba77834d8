/**
 * Synchronises a client's documents with relays, over zero or more
 * transports in order of preference.
 *
 * Exchange, per connection:
 * - on open: one batch `subscribe` of every open document with its state
 *   vector; the relay answers each with `synced` (what the client misses,
 *   applied with the remote origin, and the relay's state vector). Later,
 *   documents that open or close are subscribed or unsubscribed one by one;
 * - the repair step: on every `synced`, the client compares the relay's
 *   state with its own and sends an update of this user's items and
 *   deletions that the relay lacks (repairUpdate.ts), so a relay that lost
 *   data, or that another relay never reached, is repaired by the author.
 *   It goes with a ref of its own, above every outbox sequence number; its
 *   `ack` removes nothing (it is not an outbox entry);
 * - the outbox: every entry of `storage.outbox()` is sent in sequence order
 *   with `ref` = its sequence number; local writes made meanwhile wait
 *   behind it, and once it is out, local writes are sent as soon as they are
 *   durable. So a relay gets each device's updates in the order they were
 *   written. An entry leaves the outbox when the relay acknowledges it
 *   (`ack`), or when the relay's guard refused it for good (an error with
 *   code `refused` and its `ref`; counted). A refusal for a missing
 *   dependency (`missing-dependency`) is not final: the entry stays, the
 *   document's state is asked for again (`subscribe`), and after the repair
 *   step of that answer the refused entries, and the document's writes held
 *   back meanwhile, are sent again in order; repeated refusals back off;
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
import { GuardRules } from '../guard/guardRules.js'
import type { OutboxEntry, StorageAdapter } from '../storage/StorageAdapter.js'
import type { RelayError, Transport, TransportHandler } from '../transport/Transport.js'
import type { DocStore } from './DocStore.js'
import { addInFlight, relayDocState } from './repairUpdate.js'
import type { SyncStatus } from './views.js'
import { WorkTracker } from './WorkTracker.js'

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

/** Refs of repair updates start here: above any outbox sequence number, still a safe integer. */
const repairRefBase = 2 ** 50

interface Connection {
  index: number
  transport: Transport
  open: boolean
  handler: TransportHandler
  /** Outbox sequence numbers sent on this connection (not to be sent twice). */
  sent: Set<number>
  /** Outbox entries sent and not answered yet, by sequence number. */
  inflight: Map<number, OutboxEntry>
  /** False until the outbox present at open is sent; local writes wait in `queued`. */
  flushed: boolean
  /** Local writes made while the outbox was being sent. */
  queued: OutboxEntry[]
  /** Entries refused for a missing dependency (and later ones held back), by document. */
  retry: Map<DocId, OutboxEntry[]>
  /** How often each document's state was asked for again since its last ack. */
  attempts: Map<DocId, number>
  /** Documents whose state request is sent and not answered yet. */
  asking: Set<DocId>
  /** Delayed state requests, by document. */
  scheduled: Map<DocId, unknown>
  /** Documents the engine holds open for a state request. */
  held: Set<DocId>
  /** Repair updates sent and not answered yet: ref → document. */
  repairs: Map<number, DocId>
}

const bySeq = (a: OutboxEntry, b: OutboxEntry): number => a.seq - b.seq

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
  readonly #work = new WorkTracker()
  #status: SyncStatus = { online: false, pending: 0, refused: 0 }
  #active: Connection | undefined
  #probe: Connection | undefined
  #attempt = 0
  #retryTimer: unknown
  #probeTimer: unknown
  #stopped = false
  #nextRepairRef = repairRefBase
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

  /** True while outbox bookkeeping, repairs or applied updates are in flight. */
  get busy(): boolean {
    return this.#work.busy
  }

  /** Resolves once no outbox bookkeeping, repair or applied update is in flight. */
  idle(): Promise<void> {
    return this.#work.idle()
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
    this.#started = this.#work.track(
      this.#storage.outbox().then((entries) => {
        for (const entry of entries) this.#pending.add(entry.seq)
        this.#setStatus({ pending: this.#pending.size })
      }),
    )
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
    for (const conn of conns) {
      if (conn === undefined) continue
      this.#dispose(conn)
      conn.transport.disconnect()
    }
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
      inflight: new Map(),
      flushed: false,
      queued: [],
      retry: new Map(),
      attempts: new Map(),
      asking: new Set(),
      scheduled: new Map(),
      held: new Set(),
      repairs: new Map(),
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
        onSynced: (docId, update, stateVector) => {
          if (this.#isActive(conn)) this.#onSynced(conn, docId, update, stateVector)
        },
        onUpdate: (docId, update) => {
          if (this.#isActive(conn)) this.#apply(docId, update)
        },
        onAck: (_docId, ref) => {
          if (this.#isActive(conn)) this.#onAck(conn, ref)
        },
        onError: (error) => {
          if (this.#isActive(conn)) this.#onError(conn, error)
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
      this.#dispose(old)
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
    this.#work.track(this.#sendOutbox(conn))
    if (conn.index !== 0) this.#scheduleProbe()
  }

  /** Sends the stored outbox in sequence order, then the local writes made meanwhile. */
  async #sendOutbox(conn: Connection): Promise<void> {
    await this.#started.catch(() => undefined)
    const entries = await this.#storage.outbox().catch(() => [])
    if (!this.#isActive(conn)) return
    for (const entry of [...entries].sort(bySeq)) this.#send(conn, entry)
    conn.flushed = true
    const queued = conn.queued.sort(bySeq)
    conn.queued = []
    for (const entry of queued) this.#send(conn, entry)
  }

  /** Sends an outbox entry once per connection, or holds it behind its document's retry. */
  #send(conn: Connection, entry: OutboxEntry): void {
    if (conn.sent.has(entry.seq)) return
    const held = conn.retry.get(entry.docId)
    if (held !== undefined) {
      if (!held.some((e) => e.seq === entry.seq)) held.push(entry)
      return
    }
    conn.sent.add(entry.seq)
    conn.inflight.set(entry.seq, entry)
    conn.transport.sendUpdate(entry.docId, entry.update, entry.seq)
  }

  #onClose(conn: Connection, _reason: string): void {
    if (this.#probe === conn) {
      this.#probe = undefined
      this.#scheduleProbe()
      return
    }
    conn.open = false
    this.#dispose(conn)
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

  /**
   * Forgets a connection's state requests: clears their timers and releases
   * the documents held for them (its outbox entries stay in storage and go
   * out again on the next connection).
   */
  #dispose(conn: Connection): void {
    for (const handle of conn.scheduled.values()) this.#timers.clearTimeout(handle)
    conn.scheduled.clear()
    for (const docId of conn.held) this.#store.release(docId)
    conn.held.clear()
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
    // A document opened for a state request is subscribed by that request.
    if (conn?.open !== true || conn.held.has(docId)) return
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
    if (conn?.open !== true) return
    const entry: OutboxEntry = { seq, docId, update }
    if (conn.flushed) this.#send(conn, entry)
    else conn.queued.push(entry)
  }

  #apply(docId: DocId, update: Uint8Array): Promise<void> {
    return this.#work.track(this.#store.applyRemote(docId, update)).catch(() => undefined)
  }

  /** Applies what the client misses, then repairs the relay and resends what waited for it. */
  #onSynced(conn: Connection, docId: DocId, update: Uint8Array, stateVector: Uint8Array): void {
    const relay = relayDocState(stateVector, update)
    // Entries already on their way are applied by the relay before the repair.
    const inflight = [...conn.inflight.values()].filter((e) => e.docId === docId).sort(bySeq)
    for (const entry of inflight) addInFlight(relay, entry.update)
    const applied = this.#apply(docId, update)
    this.#work.track(
      applied.then(() => {
        if (!this.#isActive(conn)) return
        conn.asking.delete(docId)
        const repair = this.#store.repairFor(docId, relay)
        if (repair !== null) {
          const ref = this.#nextRepairRef++
          conn.repairs.set(ref, docId)
          conn.transport.sendUpdate(docId, repair, ref)
        }
        const waiting = conn.retry.get(docId)
        conn.retry.delete(docId)
        for (const entry of waiting?.sort(bySeq) ?? []) this.#send(conn, entry)
        if (conn.held.delete(docId)) this.#store.release(docId)
      }),
    )
  }

  /**
   * Asks the relay for a document's state again (a `subscribe`; the answer
   * runs the repair step and resends what waits): at once the first time,
   * after a growing delay when refusals repeat. A document that is not open
   * is opened (held) for it.
   */
  #askState(conn: Connection, docId: DocId): void {
    if (conn.asking.has(docId) || conn.scheduled.has(docId)) return
    const attempt = conn.attempts.get(docId) ?? 0
    conn.attempts.set(docId, attempt + 1)
    const ask = () => {
      conn.scheduled.delete(docId)
      if (!this.#isActive(conn)) return
      conn.asking.add(docId)
      if (!conn.held.has(docId)) {
        conn.held.add(docId)
        this.#work.track(
          this.#store.acquire(docId).then(
            () => this.#subscribeOne(conn, docId),
            () => conn.asking.delete(docId),
          ),
        )
      } else this.#subscribeOne(conn, docId)
    }
    if (attempt === 0) {
      ask()
      return
    }
    const delay = Math.min(this.#maxMs, this.#baseMs * 2 ** (attempt - 1))
    conn.scheduled.set(docId, this.#timers.setTimeout(ask, delay))
  }

  #subscribeOne(conn: Connection, docId: DocId): void {
    if (!this.#isActive(conn)) return
    const open = this.#store.openDocs().find((d) => d.docId === docId)
    if (open === undefined) {
      conn.asking.delete(docId)
      return
    }
    conn.transport.subscribe([{ docId, stateVector: Y.encodeStateVector(open.doc) }])
  }

  #onAck(conn: Connection, ref: number): void {
    if (conn.repairs.delete(ref)) return // a repair update: nothing to remove
    const entry = conn.inflight.get(ref)
    conn.inflight.delete(ref)
    if (entry !== undefined) conn.attempts.delete(entry.docId)
    this.#work.track(
      (async () => {
        await this.#storage.removeFromOutbox([ref]).catch(() => undefined)
        this.#pending.delete(ref)
        this.#setStatus({ pending: this.#pending.size, lastAckAt: this.#now() })
      })(),
    )
  }

  #onError(conn: Connection, error: RelayError): void {
    const ref = error.ref
    const retryable =
      error.code === ErrorCodes.Refused && error.rule === GuardRules.MissingDependency
    const repaired = ref === undefined ? undefined : conn.repairs.get(ref)
    if (ref !== undefined && repaired !== undefined) {
      conn.repairs.delete(ref)
      this.#setStatus({ lastError: error })
      if (retryable) this.#askState(conn, repaired)
      return
    }
    if (ref === undefined || error.code !== ErrorCodes.Refused) {
      this.#setStatus({ lastError: error })
      return
    }
    const entry = conn.inflight.get(ref)
    conn.inflight.delete(ref)
    if (retryable) {
      // Keep it: resend once the relay's state is known and repaired.
      this.#setStatus({ lastError: error })
      if (entry === undefined) return
      conn.sent.delete(ref)
      const held = conn.retry.get(entry.docId)
      if (held === undefined) conn.retry.set(entry.docId, [entry])
      else held.push(entry)
      this.#askState(conn, entry.docId)
      return
    }
    this.#work.track(
      (async () => {
        await this.#storage.removeFromOutbox([ref]).catch(() => undefined)
        this.#pending.delete(ref)
        this.#setStatus({
          lastError: error,
          pending: this.#pending.size,
          refused: this.#status.refused + 1,
        })
      })(),
    )
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
