/**
 * A {@link Transport} to a {@link MemoryRelay} over a {@link SimNetwork}
 * link, for tests. The transport is created for an {@link Identity} and
 * proves it to the relay by signing the relay's challenge, so a connection
 * can only act as a user whose secret key it holds.
 *
 * States: `closed` → `connect()` → `connecting` → (challenge answered)
 * `open` → `closed` on `disconnect()` (`retry: false`), on a cut of its
 * link (`retry: true`), or when the relay closes it (`retry: false`: the
 * relay closes only a connection whose signature failed).
 * Each `subscribe` is answered by one `synced` frame; `onCaughtUp` follows
 * its entries with every document of that `subscribe`. Frames sent while `connecting` wait and go out once the
 * connection is open; frames sent while `closed` are dropped. A `connect()`
 * while the link is cut waits (`connecting`) until the link is restored, as
 * a TCP connect retrying its SYN.
 *
 * The transport keeps one link for its whole life: cut it with
 * `network.cut(transport.link)` to partition this client from its relay.
 */
import type { DocId } from '../docIds.js'
import type { Identity } from '../Identity.js'
import type { MemoryRelay, RelaySession } from './MemoryRelay.js'
import { authMessage, type ClientFrame, type RelayFrame } from './memoryProtocol.js'
import { Directions, type SimLink, type SimNetwork } from './SimNetwork.js'
import {
  type Subscription,
  type Transport,
  type TransportHandler,
  type TransportState,
  TransportStates,
} from './Transport.js'

/** Options of a {@link MemoryTransport}. */
export interface MemoryTransportOptions {
  /** The network the connection runs over. */
  network: SimNetwork
  /** The relay to connect to. */
  relay: MemoryRelay
  /** The user the connection authenticates as. */
  identity: Identity
  /** Name of the link (default `<user prefix>-><relay>#<n>`). */
  name?: string
}

let transports = 0

/** A transport to an in-memory relay (see the module comment). */
export class MemoryTransport implements Transport {
  /** The link this transport's connections use; cut it to partition the client. */
  readonly link: SimLink
  /** {@inheritDoc Transport.name} */
  readonly name: string
  readonly #relay: MemoryRelay
  readonly #identity: Identity
  #state: TransportState = TransportStates.Closed
  #handler: TransportHandler | null = null
  #session: RelaySession | null = null
  /** Increases with every connection attempt; frames of older attempts are ignored. */
  #epoch = 0
  #waitingForLink = false
  #queued: ClientFrame[] = []
  /** The documents of each `subscribe` sent on this connection and not answered yet. */
  #answers: DocId[][] = []

  /** @param options network, relay, identity and link name */
  constructor(options: MemoryTransportOptions) {
    this.#relay = options.relay
    this.#identity = options.identity
    this.name = options.relay.name
    this.link = options.network.link(
      options.name ??
        `${options.identity.userId.slice(0, 6)}->${options.relay.name}#${++transports}`,
    )
    this.link.onCut(() => {
      if (this.#state === TransportStates.Open) this.#closed('the link was cut', true)
      else if (this.#state === TransportStates.Connecting) this.#restart()
    })
    this.link.onRestore(() => {
      if (this.#state === TransportStates.Connecting && this.#waitingForLink) this.#handshake()
    })
  }

  /** {@inheritDoc Transport.state} */
  get state(): TransportState {
    return this.#state
  }

  /** {@inheritDoc Transport.connect} */
  connect(handler: TransportHandler): void {
    this.#handler = handler
    if (this.#state !== TransportStates.Closed) return
    this.#state = TransportStates.Connecting
    this.#queued = []
    this.#answers = []
    this.#restart()
  }

  /** {@inheritDoc Transport.disconnect} */
  disconnect(): void {
    if (this.#state === TransportStates.Closed) return
    if (this.#session !== null) this.#sendNow({ t: 'bye' })
    this.#closed('disconnected', false)
  }

  /** {@inheritDoc Transport.subscribe} */
  subscribe(subscriptions: readonly Subscription[]): void {
    if (this.#state === TransportStates.Closed) return
    this.#answers.push(subscriptions.map((s) => s.docId))
    this.#send({
      t: 'subscribe',
      subscriptions: subscriptions.map((s) => ({
        docId: s.docId,
        stateVector: s.stateVector.slice(),
      })),
    })
  }

  /** {@inheritDoc Transport.unsubscribe} */
  unsubscribe(docIds: readonly DocId[]): void {
    this.#send({ t: 'unsubscribe', docIds: [...docIds] })
  }

  /** {@inheritDoc Transport.sendUpdate} */
  sendUpdate(docId: DocId, update: Uint8Array, ref: number): void {
    this.#send({ t: 'update', docId, update: update.slice(), ref })
  }

  /** {@inheritDoc Transport.sendAwareness} */
  sendAwareness(docId: DocId, payload: Uint8Array): void {
    this.#send({ t: 'awareness', docId, payload: payload.slice() })
  }

  /** Starts (or, after a cut while connecting, restarts) the handshake. */
  #restart(): void {
    this.#epoch++
    this.#session = null
    this.#waitingForLink = this.link.isCut
    if (!this.#waitingForLink) this.#handshake()
  }

  #handshake(): void {
    this.#waitingForLink = false
    const epoch = this.#epoch
    this.#session = this.#relay.accept(this.link, (frame) => {
      this.link.send(Directions.Down, () => this.#receive(epoch, frame), {
        duplicable: frame.t === 'update',
      })
    })
    this.#sendNow({ t: 'hello', userId: this.#identity.userId })
  }

  #send(frame: ClientFrame): void {
    if (this.#state === TransportStates.Open) this.#sendNow(frame)
    else if (this.#state === TransportStates.Connecting) this.#queued.push(frame)
  }

  #sendNow(frame: ClientFrame): void {
    const session = this.#session
    if (session === null) return
    this.link.send(Directions.Up, () => session.receive(frame))
  }

  #closed(reason: string, retry: boolean): void {
    this.#state = TransportStates.Closed
    this.#epoch++
    this.#session = null
    this.#queued = []
    this.#answers = []
    this.#handler?.onClose(reason, { retry })
  }

  #receive(epoch: number, frame: RelayFrame): void {
    if (epoch !== this.#epoch || this.#state === TransportStates.Closed) return
    const handler = this.#handler
    if (handler === null) return
    switch (frame.t) {
      case 'challenge': {
        const signature = this.#identity.sign(authMessage(this.#relay.name, frame.nonce))
        this.#sendNow({ t: 'auth', signature })
        return
      }
      case 'welcome': {
        this.#state = TransportStates.Open
        const queued = this.#queued
        this.#queued = []
        for (const f of queued) this.#sendNow(f)
        handler.onOpen(frame.relay)
        return
      }
      case 'synced': {
        for (const d of frame.docs) {
          if (epoch !== this.#epoch) return
          handler.onSynced(d.docId, d.update, d.stateVector)
        }
        const answered = this.#answers.shift()
        if (answered !== undefined && epoch === this.#epoch) handler.onCaughtUp(answered)
        return
      }
      case 'awareness':
        handler.onAwareness(frame.docId, frame.payload)
        return
      case 'update':
        handler.onUpdate(frame.docId, frame.update)
        return
      case 'ack':
        handler.onAck(frame.docId, frame.ref)
        return
      case 'error':
        handler.onError(frame.error)
        return
      case 'close':
        this.#closed(frame.reason, false)
        return
    }
  }
}
