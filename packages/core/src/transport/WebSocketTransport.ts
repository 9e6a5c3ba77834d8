/**
 * A {@link Transport} over one WebSocket to one relay, speaking the wire
 * protocol of `protocol/messages.ts` in binary frames (every frame goes
 * through `encodeMessage`/`decodeMessage`). Runs in browsers (the global
 * `WebSocket`) and in Node (pass `WebSocket` from `ws`); no Node import.
 *
 * One connection, as the transport sees it (three round trips to the
 * first `SYNCED`: TCP, the upgrade, then one flight each way):
 *
 * 1. `connect(handler)` opens a socket (`binaryType = 'arraybuffer'`) and
 *    waits: the relay speaks first.
 * 2. The relay's `CHALLENGE` arrives with the upgrade's answer: its
 *    protocol versions (a range without `PROTOCOL_VERSION` fails to decode:
 *    `bad-version`, close `CloseCodes.BadVersion`, no retry), a nonce, its
 *    id, name, epoch and limits. The transport answers in one flight:
 *    `HELLO` (role client, `PROTOCOL_VERSION`), `AUTH` (its identity's
 *    signature over `authPayload(nonce, relayId, 'client')`), then every
 *    request queued while connecting, split by the `CHALLENGE`'s limits.
 *    From then on requests go out at once, before `WELCOME`: the relay
 *    handles frames in order, so they count as authenticated (and are
 *    never answered if `AUTH` fails: the relay closes with
 *    `CloseCodes.AuthFailed`, `retry: false`).
 *    A relay answers an unauthenticated connection with nothing but its
 *    `CHALLENGE`, so a transport without an identity authenticates with a
 *    throwaway key made for it (one per transport): it reads like any
 *    client and refuses `sendUpdate` itself (read-only).
 * 3. `WELCOME` (naming the key that signed and role client) opens the
 *    connection: `onOpen(relay name)`, and its limits replace the
 *    `CHALLENGE`'s. `SUBSCRIBE` and `UNSUBSCRIBE` are split into frames of
 *    at most `maxBatch` entries (and `maxFrameBytes`); an `UPDATE` larger
 *    than `maxFrameBytes` is not sent but reported (`too-large`).
 * 4. Relay frames map to handler calls: `SYNCED` → `onSynced` per entry,
 *    and after the last frame of an answer (`more: false`) `onCaughtUp`
 *    with every document of the `SUBSCRIBE` frame it answers (the relay
 *    answers `SUBSCRIBE` frames in order, each with at least one `SYNCED`);
 *    `UPDATE` → `onUpdate`, `ACK` → `onAck` per ref, `ERROR` →
 *    `onError` (empty rule/docId and ref 0 become absent), `AWARENESS` →
 *    `onAwareness`, `PING` → `PONG`. `sendAwareness` sends `AWARENESS`.
 * 5. Keepalive: while open, a `PING` goes out every `pingIntervalMs`; when
 *    no frame at all arrived for `idleTimeoutMs`, the relay is taken for
 *    dead (a half-open TCP connection never reports itself) and the socket
 *    is dropped: `onError` `idle-timeout`, then `onClose`. A handshake that
 *    does not reach `WELCOME` within `handshakeTimeoutMs` ends the same way
 *    (`handshake-timeout`).
 * 6. A frame that does not decode (or a text frame, or a message the relay
 *    must not send now) is answered by an `ERROR` frame and a close with
 *    the matching code (`closeCodeFor`), then `onError` and `onClose`.
 *
 * `onClose` is called exactly once per `connect()`, with a reason and the
 * close code, whether the relay closed, the socket failed, a timeout fired,
 * a bad frame arrived or `disconnect()` was called (which closes with 1000,
 * synchronously reports `onClose('disconnected', { code: 1000, retry:
 * false })` and clears every timer). `retry` is `shouldReconnect(code)`:
 * false after `AuthFailed`, `BadVersion`, a text frame or `disconnect()`,
 * so the sync engine stops trying that relay (a 1000 close from the relay's
 * side, which a relay never sends, counts as retry). The transport
 * never reconnects by itself: the client's sync engine calls `connect()`
 * again (with backoff, possibly on another relay). Events of a socket that
 * was given up are ignored. `subscribe`, `unsubscribe` and `sendUpdate`
 * queue until the `CHALLENGE` (the queue is dropped if the attempt fails)
 * and throw `FeedmeshError` `closed` while closed.
 *
 * With `resume: true` the transport remembers the relay's `{ epoch, seq }`
 * of its last complete `SYNCED` and the documents current at it (see
 * `WebSocketResume`) and resubscribes those with `resume`: the relay then
 * answers only documents that changed, so documents without changes get no
 * `onSynced` on that connection. The documents it resumes go as one
 * `SUBSCRIBE_SET` (when the set fits in one frame and the relay's document
 * limit): a relay that remembers the set, or one close to it, is told its
 * 16-byte id and the difference, not the list; the relay then computes
 * what changed. A first subscription of at least {@link SET_MIN_DOCS}
 * documents goes as a `SUBSCRIBE_SET` too, so the relay remembers it. An
 * `ERROR` `unknown-set` answering such a frame makes the transport send the
 * whole set; `bad-set` (a relay that disagrees on the set) makes it send
 * plain `SUBSCRIBE`s from then on. Neither reaches the handler.
 */
import type { DocId } from '../docIds.js'
import { ErrorCodes, FeedmeshError } from '../errors.js'
import { Identity, type UserId } from '../Identity.js'
import { answerChallenge } from '../protocol/authPayload.js'
import {
  type CloseCode,
  CloseCodes,
  closeCodeFor,
  shouldReconnect,
} from '../protocol/closeCodes.js'
import { decodeMessage } from '../protocol/decodeMessage.js'
import { encodeMessage } from '../protocol/encodeMessage.js'
import {
  type ChallengeMessage,
  type ConnectionLimits,
  type Message,
  MessageTypes,
  messageTypeName,
  PROTOCOL_VERSION,
  type ResumePoint,
  Roles,
  type SubscribeSetMessage,
} from '../protocol/messages.js'
import { ProtocolError } from '../protocol/ProtocolError.js'
import { SubscriptionSetErrorCodes, subscriptionSetId } from '../protocol/subscriptionSets.js'
import type {
  RelayError,
  Subscription,
  Transport,
  TransportHandler,
  TransportState,
} from './Transport.js'
import { TransportStates } from './Transport.js'
import { WebSocketResume } from './WebSocketResume.js'
import { WebSocketErrorCodes } from './websocketErrors.js'
import {
  closeSocket,
  dropSocket,
  errorMessage,
  frameBytes,
  SOCKET_OPEN,
  type SocketCloseEvent,
  type WebSocketConstructor,
  type WebSocketLike,
} from './websocketLike.js'

/** Options of a {@link WebSocketTransport}. */
export interface WebSocketTransportOptions {
  /** The relay's WebSocket URL, e.g. `wss://relay.example/` (`ws://127.0.0.1:4000` in tests). */
  url: string
  /** The user the connection authenticates as; absent: read-only (it authenticates with a throwaway key). */
  identity?: Identity
  /** The WebSocket class (default `globalThis.WebSocket`; in Node pass `WebSocket` from `ws`). */
  WebSocket?: WebSocketConstructor
  /** The client name sent in `HELLO` (informational; default `feedmesh-js`). */
  name?: string
  /** Resume catch-up from the last complete sync with this relay (default false; see the module comment). */
  resume?: boolean
  /** Send a `PING` this often while open, ms (default 15 000). */
  pingIntervalMs?: number
  /** Give the relay up when no frame arrived for this long, ms (default 45 000). */
  idleTimeoutMs?: number
  /** Give up a connection that is not open (`WELCOME`) after this long, ms (default 15 000). */
  handshakeTimeoutMs?: number
}

/** How the last connection of a {@link WebSocketTransport} ended. */
export interface WebSocketClose {
  /** The close code: the relay's, the one this side sent, or 1006 when the socket failed. */
  code: number
  /** The reason given to `onClose`. */
  reason: string
  /** False when reconnecting cannot help (`shouldReconnect`: auth failed, bad version, disconnected on purpose ...). */
  retry: boolean
}

/** What the transport waits for on the current socket. */
const Phases = {
  /** The socket to open. */
  Socket: 'socket',
  /** The relay's `CHALLENGE`. */
  Challenge: 'challenge',
  /** `WELCOME`, after `HELLO` and `AUTH` went out (requests go out too). */
  Welcome: 'welcome',
  /** Nothing: authenticated. */
  Open: 'open',
} as const
type Phase = (typeof Phases)[keyof typeof Phases]

/** A request made while connecting, sent once the connection is open. */
type Queued =
  | { kind: 'subscribe'; subscriptions: Subscription[] }
  | { kind: 'unsubscribe'; docIds: DocId[] }
  | { kind: 'update'; docId: DocId; update: Uint8Array; ref: number }
  | { kind: 'awareness'; docId: DocId; payload: Uint8Array }

/** A first subscription of at least this many documents is sent as a `SUBSCRIBE_SET`, for later resumes. */
export const SET_MIN_DOCS = 8

/** One `SUBSCRIBE` or `SUBSCRIBE_SET` frame waiting for its answer. */
interface Answer {
  /** The documents of the frame (for `SUBSCRIBE_SET`, of the resulting set). */
  docIds: DocId[]
  /** The `SUBSCRIBE_SET` sent, when it was one. */
  set?: SubscribeSetMessage
}

/** One `connect()`: its socket, handler, handshake progress and timers. */
interface Attempt {
  socket: WebSocketLike
  handler: TransportHandler
  phase: Phase
  challenge: ChallengeMessage | undefined
  /** The `CHALLENGE`'s limits, then the `WELCOME`'s. */
  limits: ConnectionLimits | undefined
  queue: Queued[]
  /** The `SUBSCRIBE` and `SUBSCRIBE_SET` frames sent and not fully answered yet, oldest first. */
  answers: Answer[]
  lastReceived: number
  lastTick: number
  pingNonce: number
  socketError: string | undefined
  handshakeTimer: ReturnType<typeof setTimeout> | undefined
  pingTimer: ReturnType<typeof setInterval> | undefined
}

/** The code a socket reports when it closed without a close frame (RFC 6455 §7.1.5). */
const ABNORMAL_CLOSURE = 1006

const closeCodeNames: ReadonlyMap<number, string> = new Map(
  Object.entries(CloseCodes).map(([name, code]) => [code, name]),
)

/** `4001 AuthFailed` style text for a close code. */
function describeClose(code: number): string {
  const name = closeCodeNames.get(code)
  return name === undefined ? String(code) : `${code} ${name}`
}

/** Rough upper bound of the bytes one subscription adds to a `SUBSCRIBE` frame. */
function subscriptionBytes(s: Subscription, encoder: TextEncoder): number {
  return encoder.encode(s.docId).length + s.stateVector.length + 20
}

/** A transport to one relay over a WebSocket (see the module comment). */
export class WebSocketTransport implements Transport {
  /** The relay's URL. */
  readonly url: string
  /** A name for status and logs (see `Transport.name`): the URL. */
  readonly name: string
  /** The user id the connection authenticates as; `undefined` for a read-only transport. */
  readonly userId: UserId | undefined
  /** True when the transport has no identity of the user: it subscribes but never sends updates. */
  readonly readOnly: boolean
  /** The key `AUTH` signs with: the identity, or a throwaway one for a read-only transport. */
  readonly #authIdentity: Identity
  readonly #WebSocket: WebSocketConstructor
  readonly #name: string
  readonly #resume: WebSocketResume | undefined
  readonly #pingIntervalMs: number
  readonly #idleTimeoutMs: number
  readonly #handshakeTimeoutMs: number
  readonly #encoder = new TextEncoder()
  /** False once a relay answered `bad-set`: subscribe with plain `SUBSCRIBE`s. */
  #sets = true
  #attempt: Attempt | undefined
  #state: TransportState = TransportStates.Closed
  #relayName: string | undefined
  #relayId: UserId | undefined
  #lastClose: WebSocketClose | undefined

  /** @param options relay URL, identity, WebSocket class, name, resume and timeouts */
  constructor(options: WebSocketTransportOptions) {
    const Ctor = options.WebSocket ?? (globalThis.WebSocket as WebSocketConstructor | undefined)
    if (Ctor === undefined) {
      throw new FeedmeshError(
        ErrorCodes.BadArgument,
        'no global WebSocket here: pass one (in Node: `WebSocket` from the ws package)',
      )
    }
    if (typeof options.url !== 'string' || !/^wss?:\/\//i.test(options.url)) {
      throw new FeedmeshError(ErrorCodes.BadArgument, `not a ws:// or wss:// URL: ${options.url}`)
    }
    this.url = options.url
    this.name = options.url
    this.#WebSocket = Ctor
    this.readOnly = options.identity === undefined
    this.#authIdentity = options.identity ?? Identity.generate()
    this.userId = options.identity?.userId
    this.#name = options.name ?? 'feedmesh-js'
    this.#resume = options.resume === true ? new WebSocketResume() : undefined
    this.#pingIntervalMs = positive(options.pingIntervalMs, 15_000, 'pingIntervalMs')
    this.#idleTimeoutMs = positive(options.idleTimeoutMs, 45_000, 'idleTimeoutMs')
    this.#handshakeTimeoutMs = positive(options.handshakeTimeoutMs, 15_000, 'handshakeTimeoutMs')
  }

  /** {@inheritDoc Transport.state} */
  get state(): TransportState {
    return this.#state
  }

  /** The relay's name, from its last `CHALLENGE`. */
  get relayName(): string | undefined {
    return this.#relayName
  }

  /** The relay's public key, from its last `CHALLENGE`. */
  get relayId(): UserId | undefined {
    return this.#relayId
  }

  /** The limits the relay announced on the current connection (in its `CHALLENGE`, then its `WELCOME`). */
  get limits(): ConnectionLimits | undefined {
    const limits = this.#attempt?.limits
    return limits === undefined ? undefined : { ...limits }
  }

  /** How the last connection ended, with its close code and whether reconnecting can help (as told to `onClose`). */
  get lastClose(): WebSocketClose | undefined {
    return this.#lastClose === undefined ? undefined : { ...this.#lastClose }
  }

  /** With `resume`: the relay's `{ epoch, seq }` at the last complete sync. */
  get resumePoint(): ResumePoint | undefined {
    return this.#resume?.point
  }

  /** {@inheritDoc Transport.connect} */
  connect(handler: TransportHandler): void {
    if (this.#attempt !== undefined) {
      this.#attempt.handler = handler
      return
    }
    let socket: WebSocketLike
    try {
      socket = new this.#WebSocket(this.url)
    } catch (error) {
      // A malformed URL or a blocked port throws synchronously in browsers.
      this.#state = TransportStates.Closed
      const message = error instanceof Error ? error.message : String(error)
      const reason = `cannot open ${this.url}: ${message}`
      this.#lastClose = { code: ABNORMAL_CLOSURE, reason, retry: true }
      handler.onError({ code: WebSocketErrorCodes.Unreachable, message })
      handler.onClose(reason, { code: ABNORMAL_CLOSURE, retry: true })
      return
    }
    const now = Date.now()
    const attempt: Attempt = {
      socket,
      handler,
      phase: Phases.Socket,
      challenge: undefined,
      limits: undefined,
      queue: [],
      answers: [],
      lastReceived: now,
      lastTick: now,
      pingNonce: 0,
      socketError: undefined,
      handshakeTimer: undefined,
      pingTimer: undefined,
    }
    this.#attempt = attempt
    this.#state = TransportStates.Connecting
    socket.binaryType = 'arraybuffer'
    socket.onopen = () => this.#onSocketOpen(attempt)
    socket.onmessage = (event) => this.#onFrame(attempt, event.data)
    socket.onerror = (event) => {
      if (this.#attempt === attempt) attempt.socketError = errorMessage(event) ?? 'socket error'
    }
    socket.onclose = (event) => this.#onSocketClose(attempt, event)
    attempt.handshakeTimer = setTimeout(() => {
      if (this.#attempt !== attempt) return
      const message = `the handshake with ${this.url} did not complete within ${this.#handshakeTimeoutMs} ms`
      attempt.handler.onError({ code: WebSocketErrorCodes.HandshakeTimeout, message })
      this.#end(attempt, `handshake timeout: ${message}`, CloseCodes.GoingAway, () =>
        dropSocket(socket, CloseCodes.GoingAway, 'handshake timeout'),
      )
    }, this.#handshakeTimeoutMs)
  }

  /** {@inheritDoc Transport.disconnect} */
  disconnect(): void {
    const attempt = this.#attempt
    if (attempt === undefined) return
    this.#end(attempt, 'disconnected', CloseCodes.Normal, () =>
      closeSocket(attempt.socket, CloseCodes.Normal, 'disconnect'),
    )
  }

  /** {@inheritDoc Transport.subscribe} */
  subscribe(subscriptions: readonly Subscription[]): void {
    const copy = subscriptions.map((s) => ({ docId: s.docId, stateVector: s.stateVector.slice() }))
    if (copy.length > 0) this.#request({ kind: 'subscribe', subscriptions: copy })
  }

  /** {@inheritDoc Transport.unsubscribe} */
  unsubscribe(docIds: readonly DocId[]): void {
    if (docIds.length > 0) this.#request({ kind: 'unsubscribe', docIds: [...docIds] })
  }

  /**
   * {@inheritDoc Transport.sendUpdate}
   * A read-only transport (no identity) reports `onError` `read-only` with
   * the ref instead of sending.
   */
  sendUpdate(docId: DocId, update: Uint8Array, ref: number): void {
    if (this.readOnly) {
      const attempt = this.#requireAttempt()
      attempt.handler.onError({
        code: WebSocketErrorCodes.ReadOnly,
        docId,
        ref,
        message: 'this transport has no identity: it does not send updates',
      })
      return
    }
    this.#request({ kind: 'update', docId, update: update.slice(), ref })
  }

  /**
   * {@inheritDoc Transport.sendAwareness}
   * Also on a read-only transport (the relay relays presence of any
   * subscriber). A frame larger than `maxFrameBytes` is not sent but
   * reported (`too-large`, without a ref).
   */
  sendAwareness(docId: DocId, payload: Uint8Array): void {
    this.#request({ kind: 'awareness', docId, payload: payload.slice() })
  }

  #requireAttempt(): Attempt {
    const attempt = this.#attempt
    if (attempt === undefined) {
      throw new FeedmeshError(ErrorCodes.Closed, `the connection to ${this.url} is closed`)
    }
    return attempt
  }

  #request(request: Queued): void {
    const attempt = this.#requireAttempt()
    if (attempt.phase === Phases.Open || attempt.phase === Phases.Welcome) {
      this.#perform(attempt, request)
    } else {
      attempt.queue.push(request)
    }
  }

  /** Sends a request once `AUTH` went out (before or after `WELCOME`). */
  #perform(attempt: Attempt, request: Queued): void {
    const limits = attempt.limits
    if (limits === undefined) return
    const maxBatch = Math.max(1, limits.maxBatch)
    switch (request.kind) {
      case 'subscribe': {
        const epoch = attempt.challenge?.epoch ?? ''
        const plan = this.#resume?.plan(request.subscriptions, epoch)
        if (plan === undefined) {
          this.#sendSubscribe(attempt, request.subscriptions, undefined)
          return
        }
        const { resume, resumable, fresh } = plan
        if (resumable.length > 0 && resume !== undefined) {
          const docIds = resumable.map((s) => s.docId)
          const set = this.#resume?.setFrame(distinct(docIds), resume)
          if (set === undefined || !this.#sendSet(attempt, set, docIds)) {
            this.#sendSubscribe(attempt, resumable, resume)
          }
        }
        if (fresh.length > 0) {
          const docIds = fresh.map((s) => s.docId)
          const set: SubscribeSetMessage = {
            type: MessageTypes.SubscribeSet,
            setId: subscriptionSetId(docIds),
            add: fresh,
            remove: [],
          }
          if (docIds.length < SET_MIN_DOCS || !this.#sendSet(attempt, set, docIds)) {
            this.#sendSubscribe(attempt, fresh, undefined)
          }
        }
        return
      }
      case 'unsubscribe':
        for (let i = 0; i < request.docIds.length; i += maxBatch) {
          const docIds = request.docIds.slice(i, i + maxBatch)
          this.#resume?.unsubscribed(docIds)
          this.#send(attempt, { type: MessageTypes.Unsubscribe, docIds })
        }
        return
      case 'update': {
        const { docId, update, ref } = request
        const frame = encodeMessage({ type: MessageTypes.Update, docId, update, ref })
        if (frame.length > limits.maxFrameBytes) {
          attempt.handler.onError({
            code: WebSocketErrorCodes.TooLarge,
            docId,
            ref,
            message: `an update frame of ${frame.length} bytes exceeds the relay's limit of ${limits.maxFrameBytes}`,
          })
          return
        }
        this.#sendFrame(attempt, frame)
        return
      }
      case 'awareness': {
        const { docId, payload } = request
        const frame = encodeMessage({ type: MessageTypes.Awareness, docId, payload })
        if (frame.length > limits.maxFrameBytes) {
          attempt.handler.onError({
            code: WebSocketErrorCodes.TooLarge,
            docId,
            message: `an awareness frame of ${frame.length} bytes exceeds the relay's limit of ${limits.maxFrameBytes}`,
          })
          return
        }
        this.#sendFrame(attempt, frame)
        return
      }
    }
  }

  /**
   * Sends a `SUBSCRIBE_SET` resulting in `docIds`, if sets are on and it
   * fits the relay's limits (batch, frame, documents per connection);
   * false when it was not sent.
   */
  #sendSet(attempt: Attempt, set: SubscribeSetMessage, docIds: DocId[]): boolean {
    const limits = attempt.limits
    if (!this.#sets || limits === undefined) return false
    const maxBatch = Math.max(1, limits.maxBatch)
    if (set.add.length > maxBatch || set.remove.length > maxBatch) return false
    if (docIds.length > limits.maxDocs) return false
    const frame = encodeMessage(set)
    if (frame.length > limits.maxFrameBytes) return false
    this.#resume?.subscribed(docIds)
    attempt.answers.push({ docIds, set })
    this.#sendFrame(attempt, frame)
    return true
  }

  /**
   * The relay refused the oldest frame waiting for its answer, a
   * `SUBSCRIBE_SET`: `unknown-set` sends the whole set instead, `bad-set`
   * plain `SUBSCRIBE`s (and turns sets off). False when the error does not
   * answer a `SUBSCRIBE_SET`.
   */
  #setRefused(attempt: Attempt, code: string): boolean {
    const unknown = code === SubscriptionSetErrorCodes.UnknownSet
    if (!unknown && code !== SubscriptionSetErrorCodes.BadSet) return false
    const set = attempt.answers[0]?.set
    if (set === undefined) return false
    const { docIds } = attempt.answers.shift()!
    this.#resume?.abandoned()
    if (set.base !== undefined) this.#resume?.forgetSet(set.base)
    if (unknown && set.base !== undefined && set.resume !== undefined) {
      const full = this.#resume?.setFrame(distinct(docIds), set.resume, true)
      if (full !== undefined && this.#sendSet(attempt, full, docIds)) return true
    }
    if (!unknown) this.#sets = false
    const byDoc = new Map(set.add.map((s) => [s.docId, s.stateVector]))
    const subscriptions = docIds.map((docId) => ({
      docId,
      stateVector: byDoc.get(docId) ?? new Uint8Array(0),
    }))
    this.#sendSubscribe(attempt, subscriptions, set.resume)
    return true
  }

  /** Sends `subscriptions` in frames of at most `maxBatch` entries and about `maxFrameBytes`. */
  #sendSubscribe(
    attempt: Attempt,
    subscriptions: readonly Subscription[],
    resume: ResumePoint | undefined,
  ): void {
    const limits = attempt.limits
    if (limits === undefined) return
    const maxBatch = Math.max(1, limits.maxBatch)
    const overhead = 32 + (resume === undefined ? 0 : this.#encoder.encode(resume.epoch).length)
    let batch: Subscription[] = []
    let bytes = overhead
    const flush = () => {
      if (batch.length === 0) return
      const docIds = batch.map((s) => s.docId)
      this.#resume?.subscribed(docIds)
      attempt.answers.push({ docIds })
      const msg: Message =
        resume === undefined
          ? { type: MessageTypes.Subscribe, subscriptions: batch }
          : { type: MessageTypes.Subscribe, subscriptions: batch, resume }
      this.#send(attempt, msg)
      batch = []
      bytes = overhead
    }
    for (const s of subscriptions) {
      const size = subscriptionBytes(s, this.#encoder)
      if (batch.length >= maxBatch || (batch.length > 0 && bytes + size > limits.maxFrameBytes)) {
        flush()
      }
      batch.push(s)
      bytes += size
    }
    flush()
  }

  #send(attempt: Attempt, msg: Message): void {
    this.#sendFrame(attempt, encodeMessage(msg))
  }

  #sendFrame(attempt: Attempt, frame: Uint8Array): void {
    if (this.#attempt !== attempt || attempt.socket.readyState !== SOCKET_OPEN) return
    try {
      attempt.socket.send(frame)
    } catch {
      // The socket is closing; its close event ends the attempt.
    }
  }

  #onSocketOpen(attempt: Attempt): void {
    if (this.#attempt !== attempt) return
    attempt.phase = Phases.Challenge
    attempt.lastReceived = Date.now()
  }

  #onSocketClose(attempt: Attempt, event: SocketCloseEvent): void {
    if (this.#attempt !== attempt) return
    if (attempt.phase === Phases.Socket) {
      const message = `cannot reach ${this.url}${attempt.socketError === undefined ? '' : `: ${attempt.socketError}`}`
      attempt.handler.onError({ code: WebSocketErrorCodes.Unreachable, message })
      this.#end(attempt, message, ABNORMAL_CLOSURE, () => undefined)
      return
    }
    const why = event.reason === '' ? '' : `: ${event.reason}`
    const reason = `closed by the relay (${describeClose(event.code)}${why})`
    // A relay never closes with 1000 (that is a client leaving on purpose): from the relay's
    // side it comes from something in between (a proxy); trying again is the safe reading.
    const retry = event.code === CloseCodes.Normal || shouldReconnect(event.code)
    this.#end(attempt, reason, event.code, () => undefined, retry)
  }

  /**
   * Ends `attempt` once: clears its timers, detaches its socket, closes it
   * with `close`, records {@link WebSocketTransport.lastClose} (`code`),
   * reports `onClose`.
   */
  #end(
    attempt: Attempt,
    reason: string,
    code: number,
    close: () => void,
    retry = shouldReconnect(code),
  ): void {
    if (this.#attempt !== attempt) return
    this.#attempt = undefined
    this.#lastClose = { code, reason, retry }
    this.#state = TransportStates.Closed
    clearTimeout(attempt.handshakeTimer)
    clearInterval(attempt.pingTimer)
    attempt.handshakeTimer = undefined
    attempt.pingTimer = undefined
    attempt.queue = []
    this.#resume?.closed()
    const socket = attempt.socket
    socket.onopen = null
    socket.onmessage = null
    socket.onclose = null
    // `ws` throws on an `error` event nobody listens to: keep a listener.
    socket.onerror = () => undefined
    attempt.answers = []
    close()
    attempt.handler.onClose(reason, { code, retry })
  }

  /** Reports a protocol violation by the relay: `ERROR` frame, close with `code`, `onError`, `onClose`. */
  #fail(attempt: Attempt, error: RelayError, closeCode: CloseCode): void {
    if (this.#attempt !== attempt) return
    try {
      this.#send(attempt, {
        type: MessageTypes.Error,
        code: error.code,
        rule: '',
        docId: '',
        ref: 0,
        message: error.message,
      })
    } catch {
      // A message that cannot be encoded (lone surrogate from a relay's text): close anyway.
    }
    attempt.handler.onError(error)
    this.#end(attempt, `${error.code}: ${error.message}`, closeCode, () =>
      closeSocket(attempt.socket, closeCode, error.code),
    )
  }

  #onFrame(attempt: Attempt, data: unknown): void {
    if (this.#attempt !== attempt) return
    attempt.lastReceived = Date.now()
    const bytes = frameBytes(data)
    if (bytes === null) {
      this.#fail(
        attempt,
        { code: WebSocketErrorCodes.TextFrame, message: 'a text frame: the protocol is binary' },
        CloseCodes.UnsupportedData,
      )
      return
    }
    let msg: Message
    try {
      msg = decodeMessage(bytes)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      const code = error.code
      this.#fail(attempt, { code, message: `from the relay: ${error.message}` }, closeCodeFor(code))
      return
    }
    this.#onMessage(attempt, msg)
  }

  #unexpected(attempt: Attempt, msg: Message): void {
    this.#fail(
      attempt,
      {
        code: WebSocketErrorCodes.UnexpectedMessage,
        message: `${messageTypeName(msg.type)} from the relay while waiting for ${attempt.phase}`,
      },
      CloseCodes.ProtocolError,
    )
  }

  #onMessage(attempt: Attempt, msg: Message): void {
    const handler = attempt.handler
    switch (msg.type) {
      case MessageTypes.Ping:
        this.#send(attempt, { type: MessageTypes.Pong, nonce: msg.nonce })
        return
      case MessageTypes.Pong:
        return
      case MessageTypes.Error:
        if (attempt.phase === Phases.Open && this.#setRefused(attempt, msg.code)) return
        handler.onError(relayError(msg))
        return
      case MessageTypes.Challenge:
        if (attempt.phase !== Phases.Challenge) break
        this.#onChallenge(attempt, msg)
        return
      case MessageTypes.Welcome:
        if (attempt.phase !== Phases.Welcome) break
        if (msg.userId !== this.#authIdentity.userId || msg.role !== Roles.Client) {
          this.#fail(
            attempt,
            {
              code: WebSocketErrorCodes.BadWelcome,
              message: `WELCOME as ${msg.role} ${msg.userId}, expected client ${this.#authIdentity.userId}`,
            },
            CloseCodes.ProtocolError,
          )
          return
        }
        this.#opened(attempt, msg.limits)
        return
      case MessageTypes.Synced:
        if (attempt.phase !== Phases.Open) break
        this.#resume?.synced(msg)
        for (const entry of msg.docs) {
          if (this.#attempt !== attempt) return
          handler.onSynced(entry.docId, entry.update, entry.stateVector)
        }
        if (!msg.more && this.#attempt === attempt) {
          const answered = attempt.answers.shift()
          if (answered?.set !== undefined) {
            this.#resume?.knownSet(answered.set.setId, answered.docIds)
          }
          if (answered !== undefined) handler.onCaughtUp(answered.docIds)
        }
        return
      case MessageTypes.Update:
        if (attempt.phase !== Phases.Open) break
        handler.onUpdate(msg.docId, msg.update)
        return
      case MessageTypes.Ack:
        if (attempt.phase !== Phases.Open) break
        for (const ref of msg.refs) {
          if (this.#attempt !== attempt) return
          handler.onAck(msg.docId, ref)
        }
        return
      case MessageTypes.Awareness:
        if (attempt.phase !== Phases.Open) break
        handler.onAwareness(msg.docId, msg.payload)
        return
      default:
        break
    }
    this.#unexpected(attempt, msg)
  }

  /**
   * The relay's `CHALLENGE` (its version range already accepted by
   * decoding): `HELLO`, `AUTH` and every queued request, back to back.
   */
  #onChallenge(attempt: Attempt, challenge: ChallengeMessage): void {
    attempt.challenge = challenge
    attempt.limits = { ...challenge.limits }
    attempt.phase = Phases.Welcome
    this.#relayName = challenge.name
    this.#relayId = challenge.relayId
    this.#send(attempt, {
      type: MessageTypes.Hello,
      version: PROTOCOL_VERSION,
      role: Roles.Client,
      name: this.#name,
    })
    this.#send(attempt, answerChallenge(challenge, this.#authIdentity, Roles.Client))
    const queued = attempt.queue
    attempt.queue = []
    for (const request of queued) {
      if (this.#attempt !== attempt) return
      this.#perform(attempt, request)
    }
  }

  /** `WELCOME`: take its limits, start the keepalive, report `onOpen`. */
  #opened(attempt: Attempt, limits: ConnectionLimits): void {
    clearTimeout(attempt.handshakeTimer)
    attempt.handshakeTimer = undefined
    attempt.limits = { ...limits }
    attempt.phase = Phases.Open
    this.#state = TransportStates.Open
    attempt.lastTick = Date.now()
    attempt.pingTimer = setInterval(() => this.#tick(attempt), this.#pingIntervalMs)
    attempt.handler.onOpen(
      this.#relayName === undefined || this.#relayName === '' ? this.url : this.#relayName,
    )
  }

  /** Keepalive tick: give up a silent relay, else `PING` it. */
  #tick(attempt: Attempt): void {
    if (this.#attempt !== attempt) return
    const now = Date.now()
    // A tick far behind schedule means this process or tab was suspended, not that the relay is dead: restart the clock.
    if (now - attempt.lastTick > 2 * this.#pingIntervalMs + 1_000) attempt.lastReceived = now
    attempt.lastTick = now
    if (now - attempt.lastReceived >= this.#idleTimeoutMs) {
      const message = `no frame from ${this.url} for ${now - attempt.lastReceived} ms`
      attempt.handler.onError({ code: WebSocketErrorCodes.IdleTimeout, message })
      this.#end(attempt, `idle timeout: ${message}`, CloseCodes.IdleTimeout, () =>
        dropSocket(attempt.socket, CloseCodes.IdleTimeout, 'idle timeout'),
      )
      return
    }
    attempt.pingNonce = (attempt.pingNonce + 1) % 2 ** 31
    this.#send(attempt, { type: MessageTypes.Ping, nonce: attempt.pingNonce })
  }
}

/** The distinct ids of `docIds`, in their first order. */
function distinct(docIds: readonly DocId[]): DocId[] {
  return [...new Set(docIds)]
}

/** An `ERROR` frame as a {@link RelayError}: empty rule and docId and ref 0 mean "none". */
function relayError(msg: Extract<Message, { type: typeof MessageTypes.Error }>): RelayError {
  const error: RelayError = { code: msg.code, message: msg.message }
  if (msg.rule !== '') error.rule = msg.rule
  if (msg.docId !== '') error.docId = msg.docId
  if (msg.ref !== 0) error.ref = msg.ref
  return error
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0) {
    throw new FeedmeshError(ErrorCodes.BadArgument, `${what} must be a positive number of ms`)
  }
  return value
}
