/**
 * One link between two relays of a mesh, over one WebSocket, whichever
 * side opened it. The link is symmetric once authenticated: each side
 * pulls what changed on the other and pushes its own changes live.
 *
 * Handshake (D = the dialing relay, A = the accepting one; see core's
 * `protocol/messages.ts`):
 *
 * 1. A → D `CHALLENGE` as the socket opens (A's client endpoint sends it
 *    to every connection, before it knows who dialed). D checks A's id
 *    against its trusted keys and answers in one flight: `HELLO` (role
 *    `relay`: D's id, epoch, sequence), its own `CHALLENGE` and its `AUTH`.
 *    A's client endpoint hands the socket to the mesh at that `HELLO` (with
 *    the nonce it sent, and the frames it read behind the `HELLO`); A
 *    checks D's id the same way and answers D's challenge with its `AUTH`.
 * 2. Each `AUTH` is signed over `authPayload(nonce, challengerId, 'relay')`
 *    with the relay key; each side verifies the signature, that the key is
 *    the one the peer claimed (D's `HELLO`, A's `CHALLENGE`), and that it
 *    is trusted, then sends `WELCOME` (role `relay`): A right behind its
 *    `AUTH`, D when A's `AUTH` arrives. A key that is not trusted is
 *    refused with `ERROR untrusted-peer` and close 4002
 *    (`CloseCodes.UntrustedPeer`), and logged, on either side; a bad
 *    signature with 4001. The link opens once both `WELCOME`s are through
 *    (four round trips with TCP and the upgrade); the mesh may then close
 *    it with 4005 (`Replaced`) when it keeps another link to the same peer.
 *
 * Catch-up: once open, each side runs its own catch-up rounds over the
 * link (`CatchUp.ts`): it asks `CHANGES_SINCE` from its cursor on the
 * other, syncs the documents named in `CHANGES` with `SUBSCRIBE`/`SYNCED`
 * and moves its cursor once what arrived is durable. This side answers
 * the other's `CHANGES_SINCE` from its store (leaving out the documents
 * whose changes since all came from the asker: `EchoIndex.ts`) and its
 * `SUBSCRIBE` like a client's, without subscribing anything.
 *
 * Live: every change this relay stores (from a client or from another
 * peer) is pushed as `UPDATE` with `ref` = its sequence here (so the
 * receiver knows how far the sender is, for its lag); a peer's `UPDATE`
 * goes through the pipeline; one that changes nothing is not forwarded
 * again, so no topology loops. When more than `maxQueueBytes` wait to be
 * sent, live updates to this peer are dropped (counted) instead of queued:
 * the peer's next catch-up round fetches them from its cursor, so a slow
 * peer never holds memory or blocks anyone.
 *
 * Presence: `AWARENESS` from the peer is handed to the mesh, which
 * delivers to this relay's subscribers of the document and forwards to
 * its other peers what it has not passed on before (`AwarenessFilter.ts`);
 * presence to the peer is dropped once a quarter of `maxQueueBytes` waits.
 *
 * Liveness: each side sends `PING` every quarter of the idle timeout; a
 * link silent for the idle timeout is closed with 4006 (`IdleTimeout`).
 * Frames are handled one after another, in order; a handler's failure is
 * logged and closes the link, never the relay.
 */

import {
  answerChallenge,
  authPayload,
  type ChallengeMessage,
  type ChangesSinceMessage,
  CloseCodes,
  type ConnectionLimits,
  closeCodeFor,
  type DocId,
  decodeMessage,
  encodeMessage,
  GuardRules,
  isDocId,
  type Message,
  MessageTypes,
  messageTypeName,
  PROTOCOL_VERSION,
  ProtocolError,
  ProtocolErrorCodes,
  publicKeyFromUserId,
  type RelayHello,
  Roles,
  type SubscribeMessage,
  type UpdateMessage,
  type UserId,
} from '@feedmesh/core'
import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import { FrameInbox } from '../FrameInbox.js'
import type { RelayContext } from '../RelayContext.js'
import { Endpoints } from '../RelayMetrics.js'
import { challengeNonce, relayChallenge } from '../relayChallenge.js'
import { RelayErrorCodes } from '../relayErrors.js'
import type { MeshOptions } from '../relayOptions.js'
import { syncEntries } from '../syncEntries.js'
import { packSynced } from '../syncedFrames.js'
import { type WriteOutcome, WriteOutcomes } from '../UpdatePipeline.js'
import { toBytes } from '../wsBytes.js'
import { CatchUp } from './CatchUp.js'
import { type LinkDirection, LinkDirections, type LinkHost, type LinkInfo } from './LinkHost.js'
import type { PeerStats } from './PeerStats.js'

/** Presence to a peer is dropped once more than `maxQueueBytes` / this waits to be sent. */
const AWARENESS_QUEUE_SHARE = 4

/** Who the peer says it is: from a dialing peer's `HELLO`, or from an accepting peer's `CHALLENGE`. */
interface PeerClaim {
  relayId: UserId
  name: string
  epoch: string
  seq: number
}

/** The states of a link, as a const object; {@link LinkState} is the union. */
export const LinkStates = {
  /** Authenticating. */
  Handshake: 'handshake',
  /** Both sides welcomed each other: changes flow. */
  Open: 'open',
  /** Closed or closing. */
  Closed: 'closed',
} as const

/** One of {@link LinkStates}. */
export type LinkState = (typeof LinkStates)[keyof typeof LinkStates]

/** How a link ended. */
export interface LinkEnd {
  /** The WebSocket close code. */
  code: number
  /** The close reason. */
  reason: string
  /** The peer's verified key, if the handshake got that far. */
  peerId: UserId | undefined
  /** The key the peer claimed in its `HELLO` or `CHALLENGE` (not verified), if it got that far. */
  claimedId: UserId | undefined
  /** True when the link was open at some point. */
  opened: boolean
}

/** What a link is built from. */
export interface PeerLinkOptions {
  /** The relay's shared state. */
  ctx: RelayContext
  /** The mesh. */
  host: LinkHost
  /** Mesh tuning. */
  options: MeshOptions
  /** The open WebSocket. */
  socket: WebSocket
  /** Which side opened it. */
  direction: LinkDirection
  /** The other end's address (or the dialed URL), for logs. */
  remote: string
  /** The URL this relay dialed, for a dialed link. */
  url?: string
  /** For an accepted link: the nonce of the `CHALLENGE` the client endpoint sent on this socket. */
  nonce?: Uint8Array
}

/** One link to a peer relay (see the module comment). */
export class PeerLink implements LinkInfo {
  /** The link's state. */
  state: LinkState = LinkStates.Handshake
  /** Which side opened it. */
  readonly direction: LinkDirection
  /** The dialed URL (dialed links only). */
  readonly url: string | undefined
  /** Resolves once the socket has closed. */
  readonly ended: Promise<LinkEnd>
  readonly #ctx: RelayContext
  readonly #host: LinkHost
  readonly #options: MeshOptions
  readonly #socket: WebSocket
  #log: Logger
  /** The nonce of the `CHALLENGE` this side sent (or, accepted, its client endpoint sent). */
  readonly #nonce: Uint8Array
  readonly #idleTimeoutMs: number
  #peer: PeerClaim | undefined
  /** True once this side answered the peer's `CHALLENGE`. */
  #answered = false
  #claimedId: UserId | undefined
  #peerId: UserId | undefined
  #peerLimits: ConnectionLimits | undefined
  #stats: PeerStats | undefined
  #sentWelcome = false
  #gotWelcome = false
  #opened = false
  readonly #inbox: FrameInbox
  #handshakeTimer: NodeJS.Timeout | undefined
  #pingTimer: NodeJS.Timeout | undefined
  #lastReceived = performance.now()
  #pingNonce = 0
  #catchUp: CatchUp | undefined
  #overflowing = false
  #closeCode = 1006
  #closeReason = ''

  /** @param init context, mesh, tuning, socket, direction, address */
  constructor(init: PeerLinkOptions) {
    this.#ctx = init.ctx
    this.#host = init.host
    this.#options = init.options
    this.#socket = init.socket
    this.#inbox = new FrameInbox(
      init.socket,
      () => this.state !== LinkStates.Closed && !this.#ctx.draining(),
      (error) => {
        this.#log.error({ err: error }, 'peer frame handler failed')
        this.close(CloseCodes.InternalError, 'internal error')
      },
    )
    this.direction = init.direction
    this.url = init.url
    this.#nonce = init.nonce ?? challengeNonce()
    this.#idleTimeoutMs = init.ctx.idleTimeoutMs > 0 ? init.ctx.idleTimeoutMs : 60_000
    this.#log = init.ctx.logger.child({ peerLink: init.direction, remote: init.remote })
    const socket = init.socket
    this.ended = new Promise<LinkEnd>((resolve) => {
      socket.on('close', (code, reason) => {
        const text = reason.toString()
        this.#finish(code, text)
        resolve({
          code: this.#closeCode === 1006 ? code : this.#closeCode,
          reason: this.#closeReason || text,
          peerId: this.#peerId,
          claimedId: this.#claimedId,
          opened: this.#opened,
        })
      })
    })
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary))
    socket.on('ping', () => this.#alive())
    socket.on('pong', () => this.#alive())
    socket.on('error', (error) => this.#log.debug({ err: error }, 'peer socket error'))
    this.#handshakeTimer = setTimeout(() => {
      if (this.state === LinkStates.Handshake) {
        this.#refuse(
          RelayErrorCodes.PeerProtocol,
          'the peer handshake did not complete in time',
          CloseCodes.AuthTimeout,
        )
      }
    }, init.ctx.helloTimeoutMs)
    this.#handshakeTimer.unref()
  }

  /** The peer's verified key, once authenticated. */
  get peerId(): UserId | undefined {
    return this.#peerId
  }

  /**
   * Starts the handshake: a dialed link waits for the peer's `CHALLENGE`;
   * an accepted one handles the `HELLO` that arrived on the client endpoint.
   */
  start(hello?: RelayHello): void {
    if (this.direction === LinkDirections.Accepted && hello !== undefined) {
      this.#inbox.push(() => this.#onHello(hello))
    }
  }

  /**
   * Handles a frame read on this socket before the link existed (by the
   * client endpoint behind the peer's `HELLO`, or by the dialer while the
   * socket opened), in order, before any frame read later.
   */
  receive(data: unknown, isBinary = true): void {
    this.#onMessage(data, isBinary)
  }

  /** Pushes a change stored here to the peer (see the module comment: dropped when the queue is full). */
  push(docId: DocId, diff: Uint8Array, seq: number): void {
    if (this.state !== LinkStates.Open) return
    const stats = this.#stats!
    if (this.#socket.bufferedAmount > this.#options.maxQueueBytes) {
      stats.add('updatesDropped')
      if (!this.#overflowing) {
        this.#overflowing = true
        this.#log.warn(
          { buffered: this.#socket.bufferedAmount },
          'peer is slow: dropping live updates, its catch-up will fetch them',
        )
      }
      return
    }
    this.#overflowing = false
    stats.add('updatesOut')
    this.#send({ type: MessageTypes.Update, docId, update: diff, ref: seq })
  }

  /**
   * Sends presence (an awareness update of `docId`) to the peer; dropped
   * (counted) when more than a quarter of `maxQueueBytes` waits to be sent:
   * presence is soft state and never crowds out changes.
   */
  pushAwareness(docId: DocId, payload: Uint8Array): void {
    if (this.state !== LinkStates.Open) return
    const stats = this.#stats!
    if (this.#socket.bufferedAmount > this.#options.maxQueueBytes / AWARENESS_QUEUE_SHARE) {
      stats.add('awarenessDropped')
      return
    }
    stats.add('awarenessOut')
    this.#send({ type: MessageTypes.Awareness, docId, payload })
  }

  /** Closes the link with `code` (e.g. going away, replaced). */
  close(code: number, reason: string): void {
    if (this.state === LinkStates.Closed) return
    this.#closeCode = code
    this.#closeReason = reason
    this.#finish(code, reason)
    try {
      this.#socket.close(code, reason.slice(0, 120))
    } catch {
      this.#socket.terminate()
    }
    const socket = this.#socket
    setTimeout(() => {
      if (socket.readyState !== socket.CLOSED) socket.terminate()
    }, 2000).unref()
  }

  // ---- frames ------------------------------------------------------------

  #alive(): void {
    this.#lastReceived = performance.now()
  }

  #onMessage(data: unknown, isBinary: boolean): void {
    if (this.state === LinkStates.Closed || this.#ctx.draining()) return
    this.#alive()
    const bytes = toBytes(data)
    this.#ctx.metrics.bytesIn.inc(bytes.length)
    this.#stats?.addBytes('in', bytes.length)
    if (!isBinary) {
      this.#refuse(
        ProtocolErrorCodes.BadFrame,
        'text frame on a peer link',
        CloseCodes.UnsupportedData,
      )
      return
    }
    this.#inbox.push(() => this.#handle(bytes))
  }

  async #handle(bytes: Uint8Array): Promise<void> {
    let msg: Message
    try {
      msg = decodeMessage(bytes, {
        maxFrameBytes: this.#ctx.limits.maxFrameBytes,
        maxBatch: Math.max(this.#ctx.limits.maxBatch, this.#options.batchDocs),
      })
    } catch (error) {
      const code = error instanceof ProtocolError ? error.code : ProtocolErrorCodes.BadFrame
      const message = error instanceof Error ? error.message : String(error)
      if (code === ProtocolErrorCodes.UnknownType && this.state === LinkStates.Open) {
        this.#log.debug({ code, message }, 'unknown frame type from peer: ignored')
        return
      }
      this.#refuse(code, message, closeCodeFor(code))
      return
    }
    switch (msg.type) {
      case MessageTypes.Hello:
        if (
          msg.role !== Roles.Relay ||
          this.direction === LinkDirections.Dialed ||
          this.#peer !== undefined
        ) {
          return this.#unexpected(msg.type)
        }
        return this.#onHello(msg)
      case MessageTypes.Challenge:
        return this.#onChallenge(msg)
      case MessageTypes.Auth:
        return this.#onAuth(msg.publicKey, msg.signature)
      case MessageTypes.Welcome:
        return this.#onWelcome(msg.userId, msg.role, msg.limits)
      case MessageTypes.Ping:
        this.#send({ type: MessageTypes.Pong, nonce: msg.nonce })
        return
      case MessageTypes.Pong:
        return
      case MessageTypes.Error:
        return this.#onError(msg.code, msg.docId, msg.message)
      default:
        break
    }
    if (this.state !== LinkStates.Open) return this.#unexpected(msg.type)
    switch (msg.type) {
      case MessageTypes.ChangesSince:
        return this.#answerChanges(msg)
      case MessageTypes.Changes:
        this.#catchUp?.onChanges(msg)
        return
      case MessageTypes.Subscribe:
        return this.#answerSubscribe(msg)
      case MessageTypes.Synced:
        this.#catchUp?.onSynced(msg)
        return
      case MessageTypes.Update:
        return this.#onUpdate(msg)
      case MessageTypes.Awareness:
        this.#stats?.add('awarenessIn')
        this.#host.awareness(this, msg.docId, msg.payload)
        return
      case MessageTypes.Unsubscribe:
      case MessageTypes.Ack:
        return // peers acknowledge nothing
      default:
        return this.#unexpected((msg as Message).type)
    }
  }

  #unexpected(type: number): void {
    this.#refuse(
      RelayErrorCodes.PeerProtocol,
      `${messageTypeName(type)} is not expected on a peer link in state ${this.state}`,
      CloseCodes.ProtocolError,
    )
  }

  #onError(code: string, docId: string, message: string): void {
    if (code === RelayErrorCodes.DocTooLarge && isDocId(docId)) this.#catchUp?.tooLarge(docId)
    const refusal =
      code === RelayErrorCodes.UntrustedPeer ||
      code === RelayErrorCodes.AuthFailed ||
      code === ProtocolErrorCodes.BadVersion
    const level = refusal ? 'error' : 'warn'
    this.#log[level]({ code, docId, peer: this.#peerId }, `the peer reports: ${message}`)
    if (this.#stats !== undefined) this.#stats.lastError = `${code}: ${message}`
  }

  // ---- handshake ---------------------------------------------------------

  /** Takes the peer's claim (after a trust and a self check); false when the link was refused. */
  #admit(claim: PeerClaim): boolean {
    this.#claimedId = claim.relayId
    if (!this.#host.trusts(claim.relayId)) {
      this.#refuseUntrusted(claim.relayId, claim.name)
      return false
    }
    if (claim.relayId === this.#ctx.identity.userId) {
      this.#refuse(
        RelayErrorCodes.PeerProtocol,
        'a relay does not link to itself',
        CloseCodes.Normal,
      )
      return false
    }
    this.#peer = claim
    this.#log = this.#log.child({ peer: claim.relayId, peerName: claim.name })
    return true
  }

  /** Accepted: the dialer's `HELLO`; its `CHALLENGE` and `AUTH` follow. */
  #onHello(hello: RelayHello): void {
    this.#admit(hello)
  }

  /**
   * The peer's `CHALLENGE`, answered with `AUTH`. Dialed: it is the first
   * frame, so the answer starts with this side's `HELLO` and `CHALLENGE`,
   * in one flight.
   */
  async #onChallenge(challenge: ChallengeMessage): Promise<void> {
    if (this.#answered) return this.#unexpected(MessageTypes.Challenge)
    if (this.direction === LinkDirections.Dialed) {
      if (!this.#admit(challenge)) return
    } else if (this.#peer === undefined || challenge.relayId !== this.#peer.relayId) {
      this.#refuse(
        RelayErrorCodes.PeerProtocol,
        'CHALLENGE from another relay id than the HELLO',
        CloseCodes.ProtocolError,
      )
      return
    }
    this.#answered = true
    const { identity } = this.#ctx
    if (this.direction === LinkDirections.Dialed) {
      const mine = await relayChallenge(this.#ctx, this.#nonce)
      this.#send({
        type: MessageTypes.Hello,
        version: PROTOCOL_VERSION,
        role: Roles.Relay,
        name: mine.name,
        relayId: mine.relayId,
        epoch: mine.epoch,
        seq: mine.seq,
      })
      this.#send(mine)
    }
    this.#send(answerChallenge(challenge, identity, Roles.Relay))
  }

  async #onAuth(publicKey: UserId, signature: Uint8Array): Promise<void> {
    const hello = this.#peer
    if (hello === undefined || this.#sentWelcome) {
      this.#unexpected(MessageTypes.Auth)
      return
    }
    const payload = authPayload(this.#nonce, this.#ctx.identity.userId, Roles.Relay)
    let ok = false
    try {
      ok = await this.#ctx.verify(publicKeyFromUserId(publicKey), payload, signature)
    } catch {
      ok = false
    }
    if (!ok || publicKey !== hello.relayId) {
      this.#log.warn({ key: publicKey }, 'peer relay failed to authenticate')
      this.#refuse(
        RelayErrorCodes.AuthFailed,
        ok ? 'the AUTH key is not the key the peer claimed' : 'the AUTH signature does not verify',
        CloseCodes.AuthFailed,
      )
      return
    }
    if (!this.#host.trusts(publicKey)) {
      this.#refuseUntrusted(publicKey, hello.name)
      return
    }
    this.#peerId = publicKey
    const stats = this.#host.statsFor(publicKey)
    this.#stats = stats
    stats.name = hello.name
    if (this.url !== undefined) stats.url = this.url
    if (stats.peerEpoch !== '' && stats.peerEpoch !== hello.epoch) {
      this.#host.forgetEchoes(publicKey)
    }
    stats.sawSeq(hello.epoch, hello.seq)
    const { maxFrameBytes, maxDocsPerConnection, maxBatch } = this.#ctx.limits
    this.#sentWelcome = true
    this.#send({
      type: MessageTypes.Welcome,
      userId: publicKey,
      role: Roles.Relay,
      limits: { maxFrameBytes, maxDocs: maxDocsPerConnection, maxBatch },
    })
    this.#maybeOpen()
  }

  #onWelcome(userId: UserId, role: string, limits: ConnectionLimits): void {
    if (userId !== this.#ctx.identity.userId || role !== Roles.Relay || this.#gotWelcome) {
      this.#unexpected(MessageTypes.Welcome)
      return
    }
    this.#gotWelcome = true
    this.#peerLimits = limits
    this.#maybeOpen()
  }

  #maybeOpen(): void {
    if (!this.#sentWelcome || !this.#gotWelcome || this.state !== LinkStates.Handshake) return
    clearTimeout(this.#handshakeTimer)
    this.state = LinkStates.Open
    if (!this.#host.opened(this)) return
    this.#opened = true
    const stats = this.#stats!
    stats.connected = true
    stats.direction = this.direction
    stats.lastError = undefined
    this.#log.info({ direction: this.direction }, 'peer link open')
    const every = Math.max(10, Math.floor(this.#idleTimeoutMs / 4))
    this.#pingTimer = setInterval(() => this.#tick(), every)
    this.#pingTimer.unref()
    const link = this
    const catchUp = new CatchUp({
      ctx: this.#ctx,
      options: this.#options,
      link: {
        get open() {
          return link.state === LinkStates.Open
        },
        send: (msg) => this.#send(msg),
        close: (code, reason) => this.close(code, reason),
      },
      source: this,
      peerId: this.#peerId!,
      stats,
      log: this.#log,
    })
    this.#catchUp = catchUp
    catchUp.schedule(0)
  }

  #refuseUntrusted(key: string, name: string): void {
    const message = `relay key ${key} (${name}) is not trusted here: add it with --trust`
    this.#log.error({ key, name }, 'refused a peer link from an untrusted relay key')
    this.#refuse(RelayErrorCodes.UntrustedPeer, message, CloseCodes.UntrustedPeer)
  }

  #tick(): void {
    if (this.state !== LinkStates.Open) return
    if (performance.now() - this.#lastReceived >= this.#idleTimeoutMs) {
      this.#log.warn('peer link idle: closing')
      this.close(CloseCodes.IdleTimeout, 'idle timeout')
      return
    }
    this.#pingNonce = (this.#pingNonce + 1) % 2 ** 31
    this.#send({ type: MessageTypes.Ping, nonce: this.#pingNonce })
  }

  // ---- answering the peer's catch-up -------------------------------------

  async #answerChanges(msg: ChangesSinceMessage): Promise<void> {
    const { store } = this.#ctx
    const head = await store.head()
    const from = msg.epoch === store.epoch && msg.seq <= head ? msg.seq : 0
    const page = await store.changesSince(from, this.#options.batchDocs)
    const last = page.changes[page.changes.length - 1]
    const peer = this.#peerId!
    const docIds = page.changes
      .filter((change) => !this.#host.isEcho(peer, change.docId, change.seq, from))
      .map((change) => change.docId)
      .filter(isDocId)
    this.#send({
      type: MessageTypes.Changes,
      epoch: store.epoch,
      seq: page.more && last !== undefined ? last.seq : Math.max(page.head, from),
      more: page.more,
      docIds,
    })
  }

  async #answerSubscribe(msg: SubscribeMessage): Promise<void> {
    const { store, registry, limits } = this.#ctx
    const asked = new Map<DocId, Uint8Array>()
    for (const { docId, stateVector } of msg.subscriptions) {
      if (isDocId(docId)) asked.set(docId, stateVector)
      else this.#report(RelayErrorCodes.BadDocId, `bad document id "${docId}"`, docId)
    }
    const head = await store.head()
    const { entries, failures } = await syncEntries(registry, asked)
    for (const failure of failures) {
      if (failure.cause !== undefined) {
        this.#log.error({ err: failure.cause, docId: failure.docId }, 'cannot load document')
      }
      this.#report(failure.code, failure.message, failure.docId)
    }
    const maxFrame = Math.min(
      limits.maxFrameBytes,
      this.#peerLimits?.maxFrameBytes ?? limits.maxFrameBytes,
    )
    const packing = packSynced(entries, store.epoch, head, maxFrame)
    for (const entry of packing.tooLarge) {
      this.#log.error({ docId: entry.docId }, 'document too large to sync with a peer')
      this.#report(
        RelayErrorCodes.DocTooLarge,
        `the state of ${entry.docId} does not fit in a frame of ${maxFrame} bytes`,
        entry.docId,
      )
    }
    this.#stats?.add('docsServed', entries.length)
    for (const frame of packing.frames) this.#sendFrame(frame)
  }

  // ---- live updates from the peer ----------------------------------------

  async #onUpdate(msg: UpdateMessage): Promise<void> {
    const stats = this.#stats!
    stats.add('updatesIn')
    if (msg.ref > 0) stats.sawSeq(stats.peerEpoch, msg.ref)
    const { docId } = msg
    await this.#ctx.pipeline.write({
      docId,
      update: msg.update,
      uploader: undefined,
      trustedPeer: true,
      source: this,
      onDone: (outcome) => this.#onLiveOutcome(docId, outcome),
    })
    this.#catchUp?.schedule(this.#options.syncDebounceMs)
  }

  #onLiveOutcome(docId: DocId, outcome: WriteOutcome): void {
    this.#ctx.metrics.updatesIn.inc({ endpoint: Endpoints.Mesh, result: outcome.kind })
    if (outcome.kind === WriteOutcomes.Refused) {
      if (outcome.rule === GuardRules.MissingDependency) {
        // an earlier part has not arrived yet: resync the document instead of dropping it
        this.#log.debug({ docId }, 'peer update waits for a missing part: resyncing the document')
        this.#catchUp?.resync(docId)
        return
      }
      this.#ctx.metrics.refused.inc({ rule: outcome.rule || outcome.code })
      this.#log.warn({ docId, rule: outcome.rule }, `peer update refused: ${outcome.message}`)
    } else if (outcome.kind === WriteOutcomes.Failed) {
      this.#log.warn({ docId, code: outcome.code }, `peer update not stored: ${outcome.message}`)
      this.#catchUp?.resync(docId)
    }
  }

  // ---- sending and closing -----------------------------------------------

  #report(code: string, message: string, docId = ''): void {
    this.#send({
      type: MessageTypes.Error,
      code,
      rule: '',
      docId: docId.length <= 200 ? docId : '',
      ref: 0,
      message: message.slice(0, 1000),
    })
  }

  #refuse(code: string, message: string, closeCode: number): void {
    this.#report(code, message)
    if (this.#stats !== undefined) this.#stats.lastError = `${code}: ${message}`
    this.close(closeCode, code)
  }

  #send(msg: Message): void {
    this.#sendFrame(encodeMessage(msg))
  }

  #sendFrame(frame: Uint8Array): void {
    const socket = this.#socket
    if (this.state === LinkStates.Closed || socket.readyState !== socket.OPEN) return
    this.#ctx.metrics.bytesOut.inc(frame.length)
    this.#stats?.addBytes('out', frame.length)
    socket.send(frame)
  }

  /** Marks the link closed (once): timers stop, waiting requests fail, the mesh is told. */
  #finish(code: number, reason: string): void {
    if (this.state === LinkStates.Closed) return
    const wasOpen = this.#opened
    this.state = LinkStates.Closed
    clearTimeout(this.#handshakeTimer)
    clearInterval(this.#pingTimer)
    this.#catchUp?.stop(`the link closed (${code} ${reason})`)
    if (wasOpen) this.#log.info({ code, reason }, 'peer link closed')
    else this.#log.debug({ code, reason }, 'peer link closed during the handshake')
    this.#host.ended(this)
  }
}
