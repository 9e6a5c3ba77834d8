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
 *   back meanwhile, are sent again in order; repeated refusals back off.
 *   Other errors answering an entry follow `outboxPolicy.ts`: transient
 *   ones (`rate-limited`, `storage-failed`, `internal`) retry the same way
 *   after a backoff delay, size refusals are dropped and counted like guard
 *   refusals, and connection faults (`read-only`, `unauthenticated`) keep
 *   the entry for the next connection;
 * - `update`: live changes of others, applied with the remote origin;
 * - `caughtUp`: once the answer of a `subscribe` is applied (and its repair
 *   sent), its documents count as answered on this connection; the status
 *   is `synced` while every open document is answered;
 * - awareness: {@link SyncEngine.sendAwareness} goes out on the open
 *   connection for subscribed documents (soft state, dropped otherwise);
 *   relayed awareness goes to {@link SyncEngine.onAwareness} listeners.
 *
 * Failover: when a connection closes, the next transport in the list is
 * tried after a backoff (exponential with jitter, bounded); while on a
 * less preferred relay, the preferred one is probed now and then and taken
 * back when it opens. A transport that closes with `retry: false` (the
 * relay refused this key or protocol version) is given up for the
 * client's life: listed in `failedRelays`, with `lastError`, and skipped.
 * Every timer is cleared by {@link SyncEngine.stop}. Timers and randomness
 * are injectable, so tests drive time by hand.
 */
import * as Y from 'yjs'
import type { DocId } from '../docIds.js'
import { ErrorCodes, FeedmeshError } from '../errors.js'
import type { OutboxEntry, StorageAdapter } from '../storage/StorageAdapter.js'
import type {
  RelayError,
  Subscription,
  Transport,
  TransportCloseInfo,
  TransportHandler,
} from '../transport/Transport.js'
import type { DocStore } from './DocStore.js'
import { OutboxActions, outboxActionFor } from './outboxPolicy.js'
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
  /** Subscriptions sent and not caught up yet, per document. */
  awaiting: Map<DocId, number>
  /** Documents whose subscription was answered (and applied) on this connection. */
  answered: Set<DocId>
  /** Per document, the work of its last `synced` answer (apply, repair, resend). */
  applying: Map<DocId, Promise<void>>
  /** The last error reported on this connection (also before it opened). */
  lastError: RelayError | undefined
  /**
   * Documents subscribed while connecting (the transport sends them in the
   * handshake's flight, saving a round trip); null once open.
   */
  early: Set<DocId> | null
}

/** A pending {@link SyncEngine.whenSynced}. */
interface SyncWaiter {
  resolve(): void
  reject(error: FeedmeshError): void
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
  readonly #awarenessListeners = new Set<(docId: DocId, payload: Uint8Array) => void>()
  readonly #answeredListeners = new Set<(docId: DocId) => void>()
  readonly #waiters = new Set<SyncWaiter>()
  readonly #pending = new Set<number>()
  readonly #failed = new Set<number>()
  readonly #work = new WorkTracker()
  #status: SyncStatus = { online: false, pending: 0, refused: 0, synced: false, failedRelays: [] }
  #syncedCheck = false
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

  /**
   * Calls `listener` with every awareness update relayed for any document
   * on the connection in use; returns the unsubscribe function.
   */
  onAwareness(listener: (docId: DocId, payload: Uint8Array) => void): () => void {
    this.#awarenessListeners.add(listener)
    return () => this.#awarenessListeners.delete(listener)
  }

  /**
   * Calls `listener` whenever a document's subscription has been answered
   * on a connection (after every (re)connect, and after a document opens);
   * returns the unsubscribe function. Presence re-announces itself then.
   */
  onAnswered(listener: (docId: DocId) => void): () => void {
    this.#answeredListeners.add(listener)
    return () => this.#answeredListeners.delete(listener)
  }

  /**
   * Sends an awareness update of `docId` on the open connection when the
   * document is subscribed there; returns false (and sends nothing) when
   * offline or not subscribed: presence is soft state, re-announced once the
   * document is answered (see {@link SyncEngine.onAnswered}).
   */
  sendAwareness(docId: DocId, payload: Uint8Array): boolean {
    const conn = this.#active
    if (conn === undefined || !this.#isActive(conn)) return false
    if (!conn.answered.has(docId) && !conn.awaiting.has(docId)) return false
    conn.transport.sendAwareness(docId, payload)
    return true
  }

  /**
   * Resolves once the status is `synced` (online, every open document
   * answered). Rejects with `no-relay` when there is no relay left to try
   * (none configured, or all refused this client for good), `closed` when
   * the engine stops, and `timeout` after `timeoutMs`.
   */
  whenSynced(timeoutMs: number): Promise<void> {
    if (this.#stopped) {
      return Promise.reject(new FeedmeshError(ErrorCodes.Closed, 'the client is closed'))
    }
    if (this.#status.synced) return Promise.resolve()
    const none = this.#noRelay()
    if (none !== undefined) return Promise.reject(none)
    return new Promise<void>((resolve, reject) => {
      const timer = globalThis.setTimeout(() => {
        this.#waiters.delete(waiter)
        reject(new FeedmeshError(ErrorCodes.Timeout, this.#describeWait(timeoutMs)))
      }, timeoutMs)
      const waiter: SyncWaiter = {
        resolve: () => {
          globalThis.clearTimeout(timer)
          resolve()
        },
        reject: (error) => {
          globalThis.clearTimeout(timer)
          reject(error)
        },
      }
      this.#waiters.add(waiter)
    })
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

  /** The error for waiters when no relay is left to try, else undefined. */
  #noRelay(): FeedmeshError | undefined {
    if (this.#transports.length === 0) {
      return new FeedmeshError(ErrorCodes.NoRelay, 'this client has no relay: it works offline')
    }
    if (this.#failed.size < this.#transports.length) return undefined
    const why = this.#status.lastError?.message
    return new FeedmeshError(
      ErrorCodes.NoRelay,
      `every relay refused this client for good${why === undefined ? '' : ` (last: ${why})`}`,
    )
  }

  #describeWait(timeoutMs: number): string {
    const s = this.#status
    const where = s.online
      ? `online at ${s.relay ?? 'a relay'}, documents not all answered`
      : 'offline'
    const last =
      s.lastError === undefined ? '' : `; last error: ${s.lastError.code}: ${s.lastError.message}`
    return `not synced with a relay within ${timeoutMs} ms (${where}${last})`
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
    this.#setStatus({ online: false, relay: undefined, synced: false })
    this.#listeners.clear()
    this.#awarenessListeners.clear()
    this.#answeredListeners.clear()
    const waiters = [...this.#waiters]
    this.#waiters.clear()
    for (const w of waiters) w.reject(new FeedmeshError(ErrorCodes.Closed, 'the client is closed'))
  }

  #connect(index: number): void {
    if (this.#stopped) return
    const conn = this.#newConnection(index, false)
    this.#active = conn
    conn.transport.connect(conn.handler)
    this.#subscribeEarly(conn)
  }

  /**
   * Subscribes the open documents while `conn` connects: transports queue
   * requests made while connecting and send them right behind the
   * handshake, so the answers come one round trip sooner than a subscribe
   * sent once the connection is open.
   */
  #subscribeEarly(conn: Connection): void {
    const subscriptions = this.#store.openDocs().map(({ docId, doc }) => ({
      docId,
      stateVector: Y.encodeStateVector(doc),
    }))
    conn.early = new Set(subscriptions.map((s) => s.docId))
    this.#subscribe(conn, subscriptions)
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
      awaiting: new Map(),
      answered: new Set(),
      applying: new Map(),
      lastError: undefined,
      early: null,
      handler: {
        onOpen: (relay) => {
          if (!this.#current(conn)) return
          if (probe) this.#adoptProbe(conn)
          this.#onOpen(conn, relay)
        },
        onClose: (reason, info) => {
          if (!this.#current(conn)) return
          this.#onClose(conn, reason, info)
        },
        onSynced: (docId, update, stateVector) => {
          if (this.#isActive(conn)) this.#onSynced(conn, docId, update, stateVector)
        },
        onCaughtUp: (docIds) => {
          if (this.#isActive(conn)) this.#onCaughtUp(conn, docIds)
        },
        onAwareness: (docId, payload) => {
          if (!this.#isActive(conn)) return
          for (const listener of [...this.#awarenessListeners]) listener(docId, payload)
        },
        onUpdate: (docId, update) => {
          if (this.#isActive(conn)) this.#apply(docId, update)
        },
        onAck: (_docId, ref) => {
          if (this.#isActive(conn)) this.#onAck(conn, ref)
        },
        onError: (error) => {
          if (!this.#current(conn)) return
          conn.lastError = error
          if (this.#isActive(conn)) this.#onError(conn, error)
          else if (this.#active === conn) this.#setStatus({ lastError: error })
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
    // Documents opened while connecting are subscribed now; those closed
    // meanwhile are let go (an answer already on its way is harmless).
    const early = conn.early ?? new Set<DocId>()
    conn.early = null
    const openDocs = this.#store.openDocs()
    const open = new Set(openDocs.map(({ docId }) => docId))
    const closed = [...early].filter((docId) => !open.has(docId))
    for (const docId of closed) conn.awaiting.delete(docId)
    if (closed.length > 0) conn.transport.unsubscribe(closed)
    const subscriptions = openDocs
      .filter(({ docId }) => !early.has(docId))
      .map(({ docId, doc }) => ({ docId, stateVector: Y.encodeStateVector(doc) }))
    this.#subscribe(conn, subscriptions)
    this.#checkSynced()
    this.#work.track(this.#sendOutbox(conn))
    if (conn.index !== this.#preferredIndex()) this.#scheduleProbe()
  }

  /** Subscribes on `conn`, counting the answers it waits for. */
  #subscribe(conn: Connection, subscriptions: readonly Subscription[]): void {
    if (subscriptions.length === 0) return
    for (const { docId } of subscriptions) {
      conn.awaiting.set(docId, (conn.awaiting.get(docId) ?? 0) + 1)
    }
    conn.transport.subscribe(subscriptions)
  }

  /**
   * The answer of one `subscribe` is complete: once its updates are
   * applied (and repairs sent), its documents count as answered.
   */
  #onCaughtUp(conn: Connection, docIds: readonly DocId[]): void {
    for (const docId of docIds) {
      const n = (conn.awaiting.get(docId) ?? 1) - 1
      if (n > 0) conn.awaiting.set(docId, n)
      else conn.awaiting.delete(docId)
    }
    const mark = () => {
      if (!this.#isActive(conn)) return
      const fresh: DocId[] = []
      for (const docId of docIds) {
        if (conn.awaiting.has(docId) || conn.answered.has(docId)) continue
        conn.answered.add(docId)
        fresh.push(docId)
      }
      this.#checkSynced()
      for (const docId of fresh) {
        for (const listener of [...this.#answeredListeners]) listener(docId)
      }
    }
    const waits: Promise<void>[] = []
    for (const docId of docIds) {
      const work = conn.applying.get(docId)
      if (work !== undefined) waits.push(work.catch(() => undefined))
    }
    if (waits.length === 0) mark()
    else this.#work.track(Promise.all(waits).then(mark))
  }

  /** Recomputes `synced` in a microtask (documents open and close in bursts). */
  #checkSynced(): void {
    if (this.#syncedCheck) return
    this.#syncedCheck = true
    queueMicrotask(() => {
      this.#syncedCheck = false
      if (this.#stopped) return
      const synced = this.#isSynced()
      if (synced !== this.#status.synced) this.#setStatus({ synced })
    })
  }

  #isSynced(): boolean {
    const conn = this.#active
    if (conn === undefined || !this.#isActive(conn)) return false
    for (const { docId } of this.#store.openDocs()) {
      if (!conn.answered.has(docId) || conn.awaiting.has(docId)) return false
    }
    return true
  }

  /** The most preferred transport not given up, if any. */
  #preferredIndex(): number | undefined {
    for (let i = 0; i < this.#transports.length; i++) if (!this.#failed.has(i)) return i
    return undefined
  }

  /** The next transport after `index` (cyclically) not given up; `index` itself when it is the only one. */
  #nextIndex(index: number): number | undefined {
    const n = this.#transports.length
    for (let i = 1; i <= n; i++) {
      const next = (index + i) % n
      if (!this.#failed.has(next)) return next
    }
    return undefined
  }

  #failedNames(): string[] {
    return [...this.#failed].sort((a, b) => a - b).map((i) => this.#transports[i]!.name)
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

  #onClose(conn: Connection, reason: string, info: TransportCloseInfo | undefined): void {
    const final = info?.retry === false
    const patch: Partial<SyncStatus> = {}
    if (final) {
      this.#failed.add(conn.index)
      patch.failedRelays = this.#failedNames()
      const name = conn.transport.name
      patch.lastError = {
        code: conn.lastError?.code ?? 'relay-failed',
        message: `${name} refused this client for good, not trying it again: ${reason}${
          conn.lastError === undefined ? '' : ` (${conn.lastError.message})`
        }`,
      }
    }
    if (this.#probe === conn) {
      this.#probe = undefined
      if (final) this.#setStatus(patch)
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
    this.#setStatus({ ...patch, online: false, relay: undefined, synced: false })
    this.#timers.clearTimeout(this.#retryTimer)
    const next = this.#nextIndex(conn.index)
    if (next === undefined) {
      const error = this.#noRelay()
      const waiters = [...this.#waiters]
      this.#waiters.clear()
      if (error !== undefined) for (const w of waiters) w.reject(error)
      return
    }
    const delay = Math.min(this.#maxMs, this.#baseMs * 2 ** this.#attempt)
    const jittered = Math.round(delay / 2 + (delay / 2) * this.#random())
    this.#attempt = Math.min(this.#attempt + 1, 30)
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

  /** Probes the preferred relay later, while the connection in use is another one. */
  #scheduleProbe(): void {
    if (this.#stopped || this.#transports.length < 2) return
    this.#timers.clearTimeout(this.#probeTimer)
    const preferred = this.#preferredIndex()
    const active = this.#active
    if (preferred === undefined || active === undefined || active.index <= preferred) return
    this.#probeTimer = this.#timers.setTimeout(() => {
      const target = this.#preferredIndex()
      const current = this.#active
      if (this.#stopped || this.#probe !== undefined || target === undefined) return
      if (current === undefined || current.index <= target) return
      const probe = this.#newConnection(target, true)
      this.#probe = probe
      probe.transport.connect(probe.handler)
      this.#subscribeEarly(probe)
    }, this.#preferredMs)
  }

  #onDocOpen(docId: DocId, doc: Y.Doc): void {
    const conn = this.#active
    if (conn?.open !== true) return
    this.#checkSynced()
    // A document opened for a state request is subscribed by that request.
    if (conn.held.has(docId)) return
    this.#subscribe(conn, [{ docId, stateVector: Y.encodeStateVector(doc) }])
  }

  #onDocClose(docId: DocId): void {
    const conn = this.#active
    if (conn?.open !== true) return
    conn.answered.delete(docId)
    conn.transport.unsubscribe([docId])
    this.#checkSynced()
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
    const work = this.#work.track(
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
    conn.applying.set(docId, work)
    const forget = () => {
      if (conn.applying.get(docId) === work) conn.applying.delete(docId)
    }
    work.then(forget, forget)
  }

  /**
   * Asks the relay for a document's state again (a `subscribe`; the answer
   * runs the repair step and resends what waits): at once the first time,
   * after a growing delay when refusals repeat. A document that is not open
   * is opened (held) for it.
   */
  #askState(conn: Connection, docId: DocId, later = false): void {
    if (conn.asking.has(docId) || conn.scheduled.has(docId)) return
    const attempt = (conn.attempts.get(docId) ?? 0) + (later ? 1 : 0)
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
    this.#subscribe(conn, [{ docId, stateVector: Y.encodeStateVector(open.doc) }])
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

  /** An error on the open connection: entries and repairs it answers follow `outboxPolicy.ts`. */
  #onError(conn: Connection, error: RelayError): void {
    const ref = error.ref
    const action = outboxActionFor(error)
    const repaired = ref === undefined ? undefined : conn.repairs.get(ref)
    if (ref !== undefined && repaired !== undefined) {
      conn.repairs.delete(ref)
      this.#setStatus({ lastError: error })
      if (action === OutboxActions.Retry) this.#askState(conn, repaired)
      else if (action === OutboxActions.RetryLater) this.#askState(conn, repaired, true)
      return
    }
    const entry = ref === undefined ? undefined : conn.inflight.get(ref)
    if (ref === undefined || entry === undefined || action === OutboxActions.Keep) {
      // Not an entry of this connection, or one that waits for the next connection.
      this.#setStatus({ lastError: error })
      return
    }
    conn.inflight.delete(ref)
    if (action === OutboxActions.Retry || action === OutboxActions.RetryLater) {
      // Keep it: resend once the relay's state is known and repaired.
      this.#setStatus({ lastError: error })
      conn.sent.delete(ref)
      const held = conn.retry.get(entry.docId)
      if (held === undefined) conn.retry.set(entry.docId, [entry])
      else if (!held.some((e) => e.seq === entry.seq)) held.push(entry)
      this.#askState(conn, entry.docId, action === OutboxActions.RetryLater)
      return
    }
    this.#work.track(
      (async () => {
        await this.#storage.removeFromOutbox([ref]).catch(() => undefined)
        const known = this.#pending.delete(ref)
        this.#setStatus({
          lastError: error,
          pending: this.#pending.size,
          refused: this.#status.refused + (known ? 1 : 0),
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
    if (next.synced && this.#waiters.size > 0) {
      const waiters = [...this.#waiters]
      this.#waiters.clear()
      for (const w of waiters) w.resolve()
    }
  }
}
