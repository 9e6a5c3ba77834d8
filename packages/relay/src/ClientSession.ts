/**
 * The relay's side of one feedmesh protocol connection (the exchange is
 * described in core's `protocol/messages.ts`):
 *
 * - the relay speaks first: its `CHALLENGE` (versions, a nonce fresh per
 *   connection, id, name, epoch, sequence, limits) goes out as soon as the
 *   socket is open, so it travels with the upgrade's answer;
 * - `HELLO` first from the client (anything else, or a frame that does not
 *   decode, gets an `ERROR` and a close code from `CloseCodes`; a version
 *   outside the challenge's range is `bad-version`); no answer;
 * - then `AUTH` signed over `authPayload(nonce, relayId, 'client')` makes
 *   the connection act for that user (`WELCOME`); a bad signature gets
 *   `ERROR auth-failed` and closes with `AuthFailed`, and so does any
 *   other message before `AUTH` succeeded (`ERROR unauthenticated`). So an
 *   unauthenticated connection is sent nothing but the challenge and that
 *   error, and the frames a client pipelines behind its `AUTH` (`HELLO`,
 *   `AUTH` and `SUBSCRIBE` in one flight) are answered only once it
 *   verified. No `AUTH` within `helloTimeoutMs`: `AuthTimeout`;
 * - `SUBSCRIBE` is answered with one `SYNCED` frame (several only when the
 *   answer exceeds the frame limit), after every write it contains is
 *   durable; live updates of those documents that arrive meanwhile wait
 *   behind it. With a resume point of this relay's epoch, only documents
 *   changed since are answered;
 * - `SUBSCRIBE_SET` names a content-addressed set of documents, in full or
 *   as a change to a set remembered in `registry.sets`; the relay checks
 *   the set's hash, remembers it and answers like `SUBSCRIBE` (documents
 *   without a state vector, when resuming, with what changed after the
 *   resume point, read from the store's log), or answers `ERROR`
 *   `unknown-set` / `bad-set` and subscribes nothing. A set larger than the
 *   connection's document limit is `bad-set`;
 * - `UPDATE` goes through the {@link UpdatePipeline} after the rate limits
 *   (per connection and per user); the relay answers `ACK` once it is
 *   durable (acks of one document in one tick share a frame) or `ERROR`
 *   (`refused` with the guard rule, `rate-limited`, ...). The connection
 *   stays usable after any refusal;
 * - `UNSUBSCRIBE`, `PING`/`PONG`, and `AWARENESS` (presence: relayed to
 *   the document's other subscribers and, through the mesh, to those of
 *   the peer relays, never stored). A state whose `user` is not the
 *   connection's user is dropped and answered with `ERROR
 *   awareness-refused` (`awarenessCheck.ts`);
 * - a connection silent for the idle timeout (no frame at all, no
 *   WebSocket ping or pong) gets `ERROR idle-timeout` and is closed with
 *   `CloseCodes.IdleTimeout`; a client that sends keepalive `PING`s stays.
 *
 * A first `HELLO` with role `relay` is a peer relay dialing in: the
 * session hands the socket over to the mesh (`RelayContext.acceptPeer`)
 * with the nonce of the challenge it sent, forwards the frames it had
 * already read (the peer's `CHALLENGE` and `AUTH` follow its `HELLO` in one
 * flight) and steps aside.
 *
 * Frames are handled one after another, in order; when more than a few
 * hundred wait, the socket is paused (back pressure). Every handler is
 * wrapped: a failure becomes an `ERROR` frame (or a close), never a crash.
 */
import {
  authPayload,
  CloseCodes,
  closeCodeFor,
  type DocId,
  decodeMessage,
  encodeMessage,
  type HelloMessage,
  isDocId,
  type Message,
  MessageTypes,
  messageTypeName,
  ProtocolError,
  ProtocolErrorCodes,
  publicKeyFromUserId,
  Roles,
  type SubscribeMessage,
  type SubscribeSetMessage,
  type Subscription,
  SubscriptionSetErrorCodes,
  type SyncedEntry,
  sortedSet,
  subscriptionSetId,
  type UpdateMessage,
  type UserId,
} from '@feedmesh/core'
import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import { checkAwareness } from './awarenessCheck.js'
import { encodeAwarenessEntries } from './awarenessEntries.js'
import { FrameInbox } from './FrameInbox.js'
import type { OutgoingUpdate, UpdateFrameEncoder } from './OutgoingUpdate.js'
import type { RelayContext } from './RelayContext.js'
import { Endpoints } from './RelayMetrics.js'
import { challengeNonce, relayChallenge } from './relayChallenge.js'
import { RelayErrorCodes } from './relayErrors.js'
import type { Subscriber } from './Subscriber.js'
import { type SyncSince, syncEntries } from './syncEntries.js'
import { packSynced } from './syncedFrames.js'
import { TokenBucket } from './TokenBucket.js'
import { WriteOutcomes } from './UpdatePipeline.js'
import { toBytes } from './wsBytes.js'

/** The states of a session, as a const object; {@link SessionState} is the union. */
export const SessionStates = {
  /** `CHALLENGE` sent (or about to be), waiting for `HELLO`. */
  New: 'new',
  /** `HELLO` received: waiting for `AUTH`; anything else closes the connection. */
  Greeted: 'greeted',
  /** Authenticated as a user: may write. */
  Authenticated: 'authenticated',
  /** Closed or closing. */
  Closed: 'closed',
} as const

/** One of {@link SessionStates}. */
export type SessionState = (typeof SessionStates)[keyof typeof SessionStates]

const CHANGES_PAGE = 10_000
/** Writes of one connection between arrival and outcome before it stops reading. */
const MAX_IN_FLIGHT = 1024

/** The state vector of a set's document that the client did not send one for. */
const noStateVector = new Uint8Array(0)

/** How every frame is sent: binary, never compressed (spares `ws` its per-call option checks). */
const binaryFrame = { binary: true, compress: false } as const

/** The `UPDATE` frame of a live change (ref 0: not an answer to a write); one per change, shared by every session. */
const encodeUpdateFrame: UpdateFrameEncoder = (docId, update) =>
  encodeMessage({ type: MessageTypes.Update, docId, update, ref: 0 })

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}

/** An error to report to the client, optionally followed by a close. */
interface Report {
  code: string
  message: string
  docId?: string
  ref?: number
  rule?: string
}

/** One feedmesh protocol connection (see the module comment). */
export class ClientSession implements Subscriber {
  /** The session's state. */
  state: SessionState = SessionStates.New
  /** The authenticated user, once `WELCOME` was sent. */
  userId: UserId | undefined
  readonly #ctx: RelayContext
  readonly #socket: WebSocket
  /** The connection's logger, made on first use (most connections never log). */
  #logger: Logger | undefined
  readonly #bucket: TokenBucket
  readonly #subscribed = new Set<DocId>()
  /**
   * Documents whose `SYNCED` answer is being prepared, with how many answers
   * each is in; made when needed and dropped when empty (an idle connection
   * holds no map).
   */
  #syncing: Map<DocId, number> | undefined
  /** Live frames held back until the `SYNCED` answer they follow is sent. */
  #held: Uint8Array[] = []
  /** Refs to acknowledge per document, made on the first and dropped on flush. */
  #acks: Map<DocId, number[]> | undefined
  #ackTimer: NodeJS.Immediate | undefined
  /** The nonce of this connection's `CHALLENGE`. */
  readonly #nonce = challengeNonce()
  /** After a handoff to the mesh: where frames read before it go. */
  #handedTo: ((bytes: Uint8Array) => void) | undefined
  readonly #inbox: FrameInbox
  #inFlight = 0
  #roomForWrites: (() => void) | undefined
  /** Until `AUTH` is accepted (or the connection closes). */
  #authTimer: NodeJS.Timeout | undefined
  readonly #idleTimer: NodeJS.Timeout | undefined
  readonly #remote: string
  readonly #listeners: {
    message: (data: unknown, isBinary: boolean) => void
    close: () => void
    alive: () => void
  }

  /**
   * @param ctx the relay's shared state
   * @param socket the accepted WebSocket
   * @param remote the peer's address, for logs
   */
  constructor(ctx: RelayContext, socket: WebSocket, remote: string) {
    this.#ctx = ctx
    this.#socket = socket
    this.#inbox = new FrameInbox(
      socket,
      () =>
        this.#handedTo !== undefined ||
        (this.state !== SessionStates.Closed && !this.#ctx.draining()),
      (error) => {
        this.#log.error({ err: error }, 'frame handler failed')
        this.#report({
          code: RelayErrorCodes.Internal,
          message: 'the relay failed to handle the frame',
        })
      },
    )
    this.#bucket = new TokenBucket(ctx.limits.connectionRate, ctx.limits.connectionBurst)
    this.#authTimer = setTimeout(() => {
      if (this.state === SessionStates.New || this.state === SessionStates.Greeted) {
        this.#close(CloseCodes.AuthTimeout, 'no AUTH in time')
      }
    }, ctx.helloTimeoutMs)
    this.#authTimer.unref()
    this.#remote = remote
    if (ctx.idleTimeoutMs > 0) {
      this.#idleTimer = setTimeout(() => this.#onIdle(), ctx.idleTimeoutMs)
      this.#idleTimer.unref()
    }
    this.#listeners = {
      message: (data, isBinary) => this.#onMessage(data, isBinary),
      close: () => this.#onClose(),
      alive: () => this.#idleTimer?.refresh(),
    }
    socket.on('message', this.#listeners.message)
    socket.on('close', this.#listeners.close)
    socket.on('ping', this.#listeners.alive)
    socket.on('pong', this.#listeners.alive)
    socket.on('error', (error) => this.#log.debug({ err: error }, 'socket error'))
    // first in the inbox: sent before any frame of the client is handled
    this.#inbox.push(() => this.#sendChallenge())
  }

  get #log(): Logger {
    this.#logger ??= this.#ctx.logger.child(
      this.userId === undefined
        ? { endpoint: Endpoints.Feedmesh, remote: this.#remote }
        : { endpoint: Endpoints.Feedmesh, remote: this.#remote, user: this.userId },
    )
    return this.#logger
  }

  /** Sends the acks still waiting for their tick; called before the relay closes sockets. */
  flush(): void {
    this.#flushAcks()
  }

  /** Closes the connection with `code` (e.g. going away on shutdown). */
  close(code: number, reason: string): void {
    this.#close(code, reason)
  }

  /** {@inheritDoc Subscriber.deliverUpdate} */
  deliverUpdate(update: OutgoingUpdate): void {
    const frame = update.frame(encodeUpdateFrame)
    this.#ctx.metrics.countUpdateOut(Endpoints.Feedmesh)
    if (this.#syncing?.has(update.docId)) this.#held.push(frame)
    else this.#send(frame)
  }

  /** {@inheritDoc Subscriber.deliverAwareness} */
  deliverAwareness(docId: DocId, payload: Uint8Array): void {
    if (this.#syncing?.has(docId)) return // presence is soft state: the next one will do
    this.#send(encodeMessage({ type: MessageTypes.Awareness, docId, payload }))
  }

  #onMessage(data: unknown, isBinary: boolean): void {
    if (this.state === SessionStates.Closed || this.#ctx.draining()) return
    this.#idleTimer?.refresh()
    const bytes = toBytes(data)
    this.#ctx.metrics.bytesIn.inc(bytes.length)
    if (!isBinary) {
      this.#reportAndClose(
        {
          code: ProtocolErrorCodes.BadFrame,
          message: 'the protocol is binary: text frames are not accepted',
        },
        CloseCodes.UnsupportedData,
      )
      return
    }
    this.#inbox.push(() => this.#handle(bytes))
  }

  async #handle(bytes: Uint8Array): Promise<void> {
    if (this.#handedTo !== undefined) {
      this.#handedTo(bytes)
      return
    }
    let msg: Message
    try {
      msg = decodeMessage(bytes, {
        maxFrameBytes: this.#ctx.limits.maxFrameBytes,
        maxBatch: this.#ctx.limits.maxBatch,
      })
    } catch (error) {
      this.#onBadFrame(error)
      return
    }
    if (this.state === SessionStates.New) {
      if (msg.type === MessageTypes.Error) {
        // the other side refuses the CHALLENGE (another protocol version, an untrusted relay key) and closes
        this.#log.warn(
          { code: msg.code, message: msg.message },
          'the other side refused the CHALLENGE',
        )
        return
      }
      if (msg.type !== MessageTypes.Hello) {
        this.#reportAndClose(
          {
            code: RelayErrorCodes.UnexpectedMessage,
            message: `${messageTypeName(msg.type)} before HELLO`,
          },
          CloseCodes.ProtocolError,
        )
        return
      }
      this.#onHello(msg)
      return
    }
    if (this.state === SessionStates.Greeted) {
      if (msg.type === MessageTypes.Auth) {
        await this.#onAuth(msg.publicKey, msg.signature)
      } else if (msg.type === MessageTypes.Error) {
        this.#log.debug({ code: msg.code, message: msg.message }, 'client error before AUTH')
      } else {
        this.#ctx.metrics.refused.inc({ rule: RelayErrorCodes.Unauthenticated })
        this.#reportAndClose(
          {
            code: RelayErrorCodes.Unauthenticated,
            message: `${messageTypeName(msg.type)} before AUTH succeeded: authenticate first`,
          },
          CloseCodes.AuthFailed,
        )
      }
      return
    }
    switch (msg.type) {
      case MessageTypes.Auth:
        await this.#onAuth(msg.publicKey, msg.signature)
        return
      case MessageTypes.Subscribe:
        await this.#onSubscribe(msg.subscriptions, msg.resume, false)
        return
      case MessageTypes.SubscribeSet:
        await this.#onSubscribeSet(msg)
        return
      case MessageTypes.Unsubscribe:
        for (const docId of msg.docIds) {
          if (this.#subscribed.delete(docId)) this.#ctx.registry.unsubscribe(docId, this)
        }
        return
      case MessageTypes.Update:
        await this.#onUpdate(msg)
        return
      case MessageTypes.Awareness:
        this.#onAwareness(msg.docId, msg.payload)
        return
      case MessageTypes.Ping:
        this.#send(encodeMessage({ type: MessageTypes.Pong, nonce: msg.nonce }))
        return
      case MessageTypes.Pong:
        return
      case MessageTypes.Error:
        this.#log.debug({ code: msg.code, docId: msg.docId, message: msg.message }, 'client error')
        return
      default:
        this.#report({
          code: RelayErrorCodes.UnexpectedMessage,
          message: `a client does not send ${messageTypeName(msg.type)}`,
        })
    }
  }

  #onBadFrame(error: unknown): void {
    const code = error instanceof ProtocolError ? error.code : ProtocolErrorCodes.BadFrame
    const message = error instanceof Error ? error.message : String(error)
    this.#ctx.metrics.badFrames.inc({ code })
    this.#log.debug({ code, message }, 'bad frame')
    // an unknown message type may come from a newer client: report it, keep the connection
    if (code === ProtocolErrorCodes.UnknownType && this.state === SessionStates.Authenticated) {
      this.#report({ code, message })
      return
    }
    this.#reportAndClose({ code, message }, closeCodeFor(code))
  }

  async #sendChallenge(): Promise<void> {
    this.#send(encodeMessage(await relayChallenge(this.#ctx, this.#nonce)))
  }

  /** A client's `HELLO` (its version is in range, or it would not decode) awaits `AUTH`; a relay's goes to the mesh. */
  #onHello(hello: HelloMessage): void {
    if (hello.role === Roles.Relay) {
      this.#handOff()
      this.#handedTo = this.#ctx.acceptPeer(this.#socket, hello, this.#remote, this.#nonce)
      return
    }
    this.state = SessionStates.Greeted
  }

  async #onAuth(publicKey: UserId, signature: Uint8Array): Promise<void> {
    if (this.state !== SessionStates.Greeted) {
      this.#report({
        code: RelayErrorCodes.UnexpectedMessage,
        message: 'AUTH was already accepted',
      })
      return
    }
    const payload = authPayload(this.#nonce, this.#ctx.identity.userId, Roles.Client)
    const ok = await this.#ctx.verify(publicKeyFromUserId(publicKey), payload, signature)
    if (!ok) {
      this.#reportAndClose(
        { code: RelayErrorCodes.AuthFailed, message: 'the AUTH signature does not verify' },
        CloseCodes.AuthFailed,
      )
      return
    }
    clearTimeout(this.#authTimer)
    this.#authTimer = undefined
    this.userId = publicKey
    this.state = SessionStates.Authenticated
    this.#logger = undefined // the next line logged names the user
    const { maxFrameBytes, maxDocsPerConnection, maxBatch } = this.#ctx.limits
    this.#send(
      encodeMessage({
        type: MessageTypes.Welcome,
        userId: publicKey,
        role: Roles.Client,
        limits: { maxFrameBytes, maxDocs: maxDocsPerConnection, maxBatch },
      }),
    )
  }

  /** Resolves a `SUBSCRIBE_SET` to its documents, remembers the set and answers it (see the module comment). */
  async #onSubscribeSet(msg: SubscribeSetMessage): Promise<void> {
    const { registry, limits } = this.#ctx
    const refuse = (code: string, message: string) => this.#report({ code, message })
    const docs = new Set<DocId>()
    if (msg.base !== undefined) {
      const base = registry.sets.get(msg.base)
      if (base === undefined) {
        refuse(
          SubscriptionSetErrorCodes.UnknownSet,
          'this relay does not know the base set: send the whole set',
        )
        return
      }
      for (const docId of base) docs.add(docId)
    }
    const stateVectors = new Map<DocId, Uint8Array>()
    for (const { docId, stateVector } of msg.add) {
      if (!isDocId(docId)) {
        refuse(SubscriptionSetErrorCodes.BadSet, `the set names a bad document id "${docId}"`)
        return
      }
      docs.add(docId)
      stateVectors.set(docId, stateVector)
    }
    for (const docId of msg.remove) docs.delete(docId)
    if (docs.size > limits.maxDocsPerConnection) {
      refuse(
        SubscriptionSetErrorCodes.BadSet,
        `a set of ${docs.size} documents, more than the ${limits.maxDocsPerConnection} a connection may subscribe`,
      )
      return
    }
    const sorted = sortedSet(docs)
    if (!sameBytes(subscriptionSetId(sorted), msg.setId)) {
      refuse(SubscriptionSetErrorCodes.BadSet, 'the documents do not hash to the set id')
      return
    }
    registry.sets.put(msg.setId, sorted)
    const subscriptions = sorted.map((docId) => ({
      docId,
      stateVector: stateVectors.get(docId) ?? noStateVector,
    }))
    await this.#onSubscribe(subscriptions, msg.resume, true)
  }

  /**
   * Subscribes and answers: every document, or with a resume point of this
   * epoch those changed since; `bySet`: documents without a state vector
   * are answered with what changed after the resume point.
   */
  async #onSubscribe(
    subscriptions: readonly Subscription[],
    resume: SubscribeMessage['resume'],
    bySet: boolean,
  ): Promise<void> {
    const { registry, store, limits } = this.#ctx
    const wanted = new Map<DocId, Uint8Array>()
    for (const { docId, stateVector } of subscriptions) {
      if (!isDocId(docId)) {
        this.#report({
          code: RelayErrorCodes.BadDocId,
          message: `bad document id "${docId}"`,
          docId,
        })
        continue
      }
      if (!this.#subscribed.has(docId) && this.#subscribed.size >= limits.maxDocsPerConnection) {
        this.#report({
          code: RelayErrorCodes.TooManyDocs,
          message: `a connection may subscribe at most ${limits.maxDocsPerConnection} documents`,
          docId,
        })
        continue
      }
      this.#subscribed.add(docId)
      wanted.set(docId, stateVector)
    }
    // subscribe first: any change committed from here on is forwarded (held until SYNCED)
    this.#syncing ??= new Map()
    const syncing = this.#syncing
    for (const docId of wanted.keys()) {
      syncing.set(docId, (syncing.get(docId) ?? 0) + 1)
      registry.subscribe(docId, this)
    }
    try {
      const { answer, head, resumed } = await this.#toAnswer(wanted, resume)
      const since: SyncSince | undefined =
        bySet && resumed && resume !== undefined ? { store, seq: resume.seq } : undefined
      const entries = await this.#entries(answer, since)
      const packing = packSynced(entries, store.epoch, head, limits.maxFrameBytes)
      for (const entry of packing.tooLarge) {
        this.#report({
          code: RelayErrorCodes.DocTooLarge,
          message: `the state of ${entry.docId} does not fit in a frame of ${limits.maxFrameBytes} bytes`,
          docId: entry.docId,
        })
      }
      for (const frame of packing.frames) this.#send(frame)
    } finally {
      for (const docId of wanted.keys()) {
        const n = (syncing.get(docId) ?? 1) - 1
        if (n === 0) syncing.delete(docId)
        else syncing.set(docId, n)
      }
      if (syncing.size === 0) {
        if (this.#syncing === syncing) this.#syncing = undefined
        const held = this.#held
        this.#held = []
        for (const frame of held) this.#send(frame)
      }
    }
  }

  /** Which of the wanted documents to answer (all, or with a resume point those changed since), and the head. */
  async #toAnswer(
    wanted: Map<DocId, Uint8Array>,
    resume: SubscribeMessage['resume'],
  ): Promise<{ answer: Map<DocId, Uint8Array>; head: number; resumed: boolean }> {
    const { store } = this.#ctx
    const head = await store.head()
    if (resume === undefined || resume.epoch !== store.epoch || resume.seq > head) {
      return { answer: wanted, head, resumed: false }
    }
    const answer = new Map<DocId, Uint8Array>()
    let seq = resume.seq
    for (;;) {
      const page = await store.changesSince(seq, CHANGES_PAGE)
      for (const change of page.changes) {
        const sv = wanted.get(change.docId)
        if (sv !== undefined) answer.set(change.docId, sv)
        seq = change.seq
      }
      if (!page.more) break
    }
    // documents with writes applied but not yet committed are forwarded live anyway
    return { answer, head, resumed: true }
  }

  async #entries(answer: Map<DocId, Uint8Array>, since?: SyncSince): Promise<SyncedEntry[]> {
    const { entries, failures } = await syncEntries(this.#ctx.registry, answer, since)
    for (const failure of failures) {
      if (failure.cause !== undefined) {
        this.#log.error({ err: failure.cause, docId: failure.docId }, 'cannot load document')
      }
      this.#report({ code: failure.code, message: failure.message, docId: failure.docId })
    }
    return entries
  }

  async #onUpdate(msg: UpdateMessage): Promise<void> {
    const { docId, update, ref } = msg
    const { metrics, userRates, pipeline } = this.#ctx
    const userId = this.userId
    if (userId === undefined) {
      metrics.refused.inc({ rule: RelayErrorCodes.Unauthenticated })
      this.#report({
        code: RelayErrorCodes.Unauthenticated,
        message: 'writing needs an authenticated connection (AUTH)',
        docId,
        ref,
      })
      return
    }
    if (!this.#bucket.take() || !userRates.take(userId)) {
      metrics.updatesIn.inc({ endpoint: Endpoints.Feedmesh, result: 'rate-limited' })
      this.#report({
        code: RelayErrorCodes.RateLimited,
        message: 'too many updates: slow down and send it again',
        docId,
        ref,
      })
      return
    }
    if (this.#inFlight >= MAX_IN_FLIGHT) {
      await new Promise<void>((resolve) => {
        this.#roomForWrites = resolve
      })
    }
    this.#inFlight++
    const start = performance.now()
    await pipeline.write({
      docId,
      update,
      uploader: userId,
      source: this,
      onDone: (outcome) => {
        this.#inFlight--
        if (this.#roomForWrites !== undefined && this.#inFlight < MAX_IN_FLIGHT / 2) {
          this.#roomForWrites()
          this.#roomForWrites = undefined
        }
        metrics.updatesIn.inc({ endpoint: Endpoints.Feedmesh, result: outcome.kind })
        switch (outcome.kind) {
          case WriteOutcomes.Stored:
          case WriteOutcomes.Known:
            metrics.ackLatency.observe((performance.now() - start) / 1000)
            this.#ack(docId, ref)
            return
          case WriteOutcomes.Refused:
            metrics.refused.inc({ rule: outcome.rule || outcome.code })
            this.#log.info({ docId, ref, rule: outcome.rule, code: outcome.code }, outcome.message)
            this.#report({
              code: outcome.code,
              rule: outcome.rule,
              message: outcome.message,
              docId,
              ref,
            })
            return
          case WriteOutcomes.Failed:
            this.#report({ code: outcome.code, message: outcome.message, docId, ref })
            return
        }
      },
    })
  }

  #onAwareness(docId: DocId, payload: Uint8Array): void {
    if (!this.#subscribed.has(docId)) {
      this.#report({
        code: RelayErrorCodes.NotSubscribed,
        message: 'subscribe to a document before sending its awareness',
        docId,
      })
      return
    }
    const userId = this.userId
    const verdict = checkAwareness(payload, userId)
    if (verdict.refusal !== undefined) {
      this.#ctx.metrics.refused.inc({ rule: RelayErrorCodes.AwarenessRefused })
      this.#report({ code: RelayErrorCodes.AwarenessRefused, message: verdict.refusal, docId })
    }
    if (verdict.payload === undefined || userId === undefined) return
    const passed = this.#ctx.shareAwareness(docId, verdict.accepted, userId)
    if (passed.length === 0) return
    const checked =
      passed.length === verdict.accepted.length ? verdict.payload : encodeAwarenessEntries(passed)
    for (const subscriber of this.#ctx.registry.subscribersOf(docId)) {
      if (subscriber !== this) subscriber.deliverAwareness(docId, checked)
    }
  }

  #ack(docId: DocId, ref: number): void {
    this.#acks ??= new Map()
    const acks = this.#acks
    const refs = acks.get(docId)
    if (refs === undefined) acks.set(docId, [ref])
    else refs.push(ref)
    this.#ackTimer ??= setImmediate(() => this.#flushAcks())
  }

  #flushAcks(): void {
    if (this.#ackTimer !== undefined) clearImmediate(this.#ackTimer)
    this.#ackTimer = undefined
    const acks = this.#acks
    if (acks === undefined) return
    this.#acks = undefined
    const { maxBatch } = this.#ctx.limits
    for (const [docId, refs] of acks) {
      for (let i = 0; i < refs.length; i += maxBatch) {
        this.#send(
          encodeMessage({ type: MessageTypes.Ack, docId, refs: refs.slice(i, i + maxBatch) }),
        )
      }
    }
  }

  #report(report: Report): void {
    this.#flushAcks() // keep the order of answers
    let frame: Uint8Array
    try {
      frame = encodeMessage({
        type: MessageTypes.Error,
        code: report.code,
        rule: report.rule ?? '',
        docId: report.docId ?? '',
        ref: report.ref ?? 0,
        message: report.message.slice(0, 1000),
      })
    } catch {
      frame = encodeMessage({
        type: MessageTypes.Error,
        code: report.code,
        rule: '',
        docId: '',
        ref: report.ref ?? 0,
        message: 'error',
      })
    }
    this.#send(frame)
  }

  #reportAndClose(report: Report, code: number): void {
    this.#report(report)
    this.#close(code, report.code)
  }

  #send(frame: Uint8Array): void {
    const socket = this.#socket
    if (this.state === SessionStates.Closed || socket.readyState !== socket.OPEN) return
    const buffered = socket.bufferedAmount
    if (buffered > this.#ctx.limits.maxBufferedBytes) {
      this.#log.warn({ buffered }, 'slow reader: closing')
      this.#close(CloseCodes.TryAgainLater, 'too much data waiting: read faster')
      return
    }
    this.#ctx.metrics.countBytesOut(frame.length)
    socket.send(frame, binaryFrame)
  }

  #close(code: number, reason: string): void {
    if (this.state === SessionStates.Closed) return
    this.#flushAcks()
    this.#detach()
    try {
      this.#socket.close(code, reason.slice(0, 120))
    } catch (error) {
      this.#log.debug({ err: error }, 'close failed')
      this.#socket.terminate()
    }
  }

  #onClose(): void {
    this.#detach()
  }

  #onIdle(): void {
    if (this.state === SessionStates.Closed) return
    this.#reportAndClose(
      {
        code: RelayErrorCodes.IdleTimeout,
        message: `no frame for ${this.#ctx.idleTimeoutMs} ms: send PING to keep a quiet connection`,
      },
      CloseCodes.IdleTimeout,
    )
  }

  /** Steps aside for the mesh: stops listening to the socket without closing it. */
  #handOff(): void {
    this.#detach()
    this.#socket.off('message', this.#listeners.message)
    this.#socket.off('close', this.#listeners.close)
    this.#socket.off('ping', this.#listeners.alive)
    this.#socket.off('pong', this.#listeners.alive)
  }

  #detach(): void {
    if (this.state === SessionStates.Closed) return
    this.state = SessionStates.Closed
    clearTimeout(this.#authTimer)
    clearTimeout(this.#idleTimer)
    if (this.#ackTimer !== undefined) clearImmediate(this.#ackTimer)
    this.#acks = undefined
    for (const docId of this.#subscribed) this.#ctx.registry.unsubscribe(docId, this)
    this.#subscribed.clear()
    this.#held = []
  }
}
