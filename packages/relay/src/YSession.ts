/**
 * The relay's side of one connection to the y-websocket compatibility
 * endpoint `/y/<docId>`: the stock y-websocket protocol (y-protocols sync
 * and awareness messages, one document per socket), so an unmodified
 * y-websocket client can read any feedmesh document.
 *
 * Messages (each a varUint type, then its content):
 * - `0` sync: step 1 (a state vector) is answered with step 2 (what the
 *   client misses, sent once it is durable); step 2 and update (a Yjs
 *   update) are writes: they go through the same {@link UpdatePipeline} as
 *   every write, with NO uploader (the connection is not authenticated), so
 *   only new records with valid signatures that pass every guard rule are
 *   accepted, and no deletion is. A refused write is logged and the socket
 *   closed with {@link YCloseCodes.Refused} (reason `refused: <rule>`; a
 *   y-websocket 3.x client does not reconnect after it): nothing of it is
 *   applied, stored or forwarded. Writes that change nothing (a reader's
 *   empty step 2) are ignored;
 * - `1` awareness: relayed to the document's other subscribers, never stored;
 *   states claiming a feedmesh user id as `user` are dropped (the
 *   connection is not authenticated: `awarenessCheck.ts`);
 * - `2` auth and `3` query-awareness: ignored (the relay keeps no presence);
 * - anything else, or bytes that do not decode: close {@link YCloseCodes.BadMessage}.
 *
 * On open the relay sends its own step 1, as the stock server does, so the
 * client uploads what it has (which the guard then judges).
 *
 * Liveness: like the stock server, the relay sends a WebSocket ping every
 * third of the idle timeout; a connection from which nothing (no message,
 * no pong) arrived for the idle timeout is closed with
 * `CloseCodes.IdleTimeout`. Browsers and `ws` answer pings by themselves,
 * so a live client is never cut.
 */

import { CloseCodes, type DocId } from '@feedmesh/core'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import { unclaimedAwareness } from './awarenessCheck.js'
import { FrameInbox } from './FrameInbox.js'
import type { OutgoingUpdate, UpdateFrameEncoder } from './OutgoingUpdate.js'
import type { RelayContext } from './RelayContext.js'
import { Endpoints } from './RelayMetrics.js'
import type { Subscriber } from './Subscriber.js'
import { TokenBucket } from './TokenBucket.js'
import { type WriteOutcome, WriteOutcomes } from './UpdatePipeline.js'
import { toBytes } from './wsBytes.js'

/** y-websocket message types. */
export const YMessageTypes = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
} as const

/**
 * Close codes of the compatibility endpoint. y-websocket 3.x clients do not
 * reconnect after a code from 4400 to 4499, so a refused write or a broken
 * message ends the session for good instead of looping.
 */
export const YCloseCodes = {
  /** A message that does not decode, or of an unknown type. */
  BadMessage: 4400,
  /** A write the guard refused (the reason names the rule). */
  Refused: 4403,
} as const

/** y-protocols sync message types. */
export const YSyncTypes = {
  Step1: 0,
  Step2: 1,
  Update: 2,
} as const

/** One y-websocket connection to one document (see the module comment). */
export class YSession implements Subscriber {
  readonly #ctx: RelayContext
  readonly #socket: WebSocket
  readonly #docId: DocId
  readonly #log: Logger
  readonly #bucket: TokenBucket
  #closed = false
  readonly #inbox: FrameInbox
  readonly #idleTimer: NodeJS.Timeout | undefined
  readonly #pingTimer: NodeJS.Timeout | undefined

  /**
   * @param ctx the relay's shared state
   * @param socket the accepted WebSocket
   * @param docId the document named by the path
   * @param remote the peer's address, for logs
   */
  constructor(ctx: RelayContext, socket: WebSocket, docId: DocId, remote: string) {
    this.#ctx = ctx
    this.#socket = socket
    this.#inbox = new FrameInbox(
      socket,
      () => !this.#closed && !this.#ctx.draining(),
      (error) => {
        this.#log.error({ err: error }, 'y-websocket handler failed')
        this.close(CloseCodes.InternalError, 'internal error')
      },
    )
    this.#docId = docId
    this.#log = ctx.logger.child({ endpoint: Endpoints.YWebsocket, remote, docId })
    this.#bucket = new TokenBucket(ctx.limits.connectionRate, ctx.limits.connectionBurst)
    ctx.registry.subscribe(docId, this)
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary))
    socket.on('close', () => this.#detach())
    if (ctx.idleTimeoutMs > 0) {
      this.#idleTimer = setTimeout(() => {
        this.#log.debug('idle: closing')
        this.close(CloseCodes.IdleTimeout, 'idle timeout')
      }, ctx.idleTimeoutMs)
      this.#idleTimer.unref()
      this.#pingTimer = setInterval(
        () => {
          try {
            if (socket.readyState === socket.OPEN) socket.ping()
          } catch {
            // closing
          }
        },
        Math.max(10, Math.floor(ctx.idleTimeoutMs / 3)),
      )
      this.#pingTimer.unref()
      socket.on('pong', () => this.#idleTimer?.refresh())
      socket.on('ping', () => this.#idleTimer?.refresh())
    }
    socket.on('error', (error) => this.#log.debug({ err: error }, 'socket error'))
    this.#inbox.push(() => this.#sendStep1())
  }

  /** Closes the connection with `code`. */
  close(code: number, reason: string): void {
    if (this.#closed) return
    this.#detach()
    try {
      this.#socket.close(code, reason.slice(0, 120))
    } catch {
      this.#socket.terminate()
    }
  }

  /** {@inheritDoc Subscriber.deliverUpdate} */
  deliverUpdate(update: OutgoingUpdate): void {
    this.#ctx.metrics.countUpdateOut(Endpoints.YWebsocket)
    this.#send(update.frame(encodeYUpdate))
  }

  /** {@inheritDoc Subscriber.deliverAwareness} */
  deliverAwareness(_docId: DocId, payload: Uint8Array): void {
    this.#send(frame(YMessageTypes.Awareness, (e) => encoding.writeVarUint8Array(e, payload)))
  }

  #onMessage(data: unknown, isBinary: boolean): void {
    if (this.#closed || this.#ctx.draining()) return
    this.#idleTimer?.refresh()
    const bytes = toBytes(data)
    this.#ctx.metrics.bytesIn.inc(bytes.length)
    if (!isBinary) {
      this.close(CloseCodes.UnsupportedData, 'binary frames only')
      return
    }
    this.#inbox.push(() => this.#handle(bytes))
  }

  async #sendStep1(): Promise<void> {
    const stateVector = await this.#ctx.registry.using(this.#docId, (doc) => doc.stateVector())
    this.#send(
      frame(YMessageTypes.Sync, (e) => {
        encoding.writeVarUint(e, YSyncTypes.Step1)
        encoding.writeVarUint8Array(e, stateVector)
      }),
    )
  }

  async #handle(bytes: Uint8Array): Promise<void> {
    let type: number
    let sub = -1
    let payload: Uint8Array
    try {
      const d = decoding.createDecoder(bytes)
      type = decoding.readVarUint(d)
      if (type === YMessageTypes.Sync) sub = decoding.readVarUint(d)
      payload =
        type === YMessageTypes.QueryAwareness ? new Uint8Array(0) : decoding.readVarUint8Array(d)
    } catch {
      this.#badFrame('a message that does not decode')
      return
    }
    switch (type) {
      case YMessageTypes.Sync:
        if (sub === YSyncTypes.Step1) await this.#onStep1(payload)
        else if (sub === YSyncTypes.Step2 || sub === YSyncTypes.Update) await this.#onWrite(payload)
        else this.#badFrame(`unknown sync message ${sub}`)
        return
      case YMessageTypes.Awareness: {
        const unclaimed = unclaimedAwareness(payload)
        if (unclaimed === undefined) return
        for (const subscriber of this.#ctx.registry.subscribersOf(this.#docId)) {
          if (subscriber !== this) subscriber.deliverAwareness(this.#docId, unclaimed)
        }
        return
      }
      case YMessageTypes.Auth:
      case YMessageTypes.QueryAwareness:
        return
      default:
        this.#badFrame(`unknown message type ${type}`)
    }
  }

  #badFrame(why: string): void {
    this.#ctx.metrics.badFrames.inc({ code: 'y-websocket' })
    this.#log.info(`closing: ${why}`)
    this.close(YCloseCodes.BadMessage, why)
  }

  async #onStep1(stateVector: Uint8Array): Promise<void> {
    const { registry } = this.#ctx
    const doc = await registry.acquire(this.#docId)
    let update: Uint8Array
    try {
      try {
        update = doc.diff(stateVector)
      } catch {
        this.#badFrame('a state vector that does not decode')
        return
      }
      await doc.committed()
    } finally {
      registry.release(doc)
    }
    this.#send(
      frame(YMessageTypes.Sync, (e) => {
        encoding.writeVarUint(e, YSyncTypes.Step2)
        encoding.writeVarUint8Array(e, update)
      }),
    )
  }

  async #onWrite(update: Uint8Array): Promise<void> {
    const { metrics } = this.#ctx
    if (!this.#bucket.take()) {
      metrics.updatesIn.inc({ endpoint: Endpoints.YWebsocket, result: 'rate-limited' })
      this.close(CloseCodes.TryAgainLater, 'rate-limited: too many updates')
      return
    }
    await this.#ctx.pipeline.write({
      docId: this.#docId,
      update,
      uploader: undefined,
      source: this,
      onDone: (outcome) => this.#onOutcome(outcome),
    })
  }

  #onOutcome(outcome: WriteOutcome): void {
    this.#ctx.metrics.updatesIn.inc({ endpoint: Endpoints.YWebsocket, result: outcome.kind })
    if (outcome.kind === WriteOutcomes.Refused) {
      this.#ctx.metrics.refused.inc({ rule: outcome.rule || outcome.code })
      this.#log.warn(
        { rule: outcome.rule, code: outcome.code },
        `write refused: ${outcome.message}`,
      )
      this.close(YCloseCodes.Refused, `refused: ${outcome.rule || outcome.code}`)
    } else if (outcome.kind === WriteOutcomes.Failed) {
      this.close(CloseCodes.InternalError, outcome.code)
    }
  }

  #send(bytes: Uint8Array): void {
    const socket = this.#socket
    if (this.#closed || socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > this.#ctx.limits.maxBufferedBytes) {
      this.close(CloseCodes.TryAgainLater, 'too much data waiting: read faster')
      return
    }
    this.#ctx.metrics.countBytesOut(bytes.length)
    socket.send(bytes, binaryFrame)
  }

  #detach(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#idleTimer)
    clearInterval(this.#pingTimer)
    this.#ctx.registry.unsubscribe(this.#docId, this)
  }
}

/** How every message is sent: binary, never compressed (spares `ws` its per-call option checks). */
const binaryFrame = { binary: true, compress: false } as const

/** The sync update message of a live change; one per change, shared by every y-websocket session. */
const encodeYUpdate: UpdateFrameEncoder = (_docId, update) =>
  frame(YMessageTypes.Sync, (e) => {
    encoding.writeVarUint(e, YSyncTypes.Update)
    encoding.writeVarUint8Array(e, update)
  })

function frame(type: number, write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, type)
  write(e)
  return encoding.toUint8Array(e)
}
