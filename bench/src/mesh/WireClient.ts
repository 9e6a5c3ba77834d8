/**
 * A bare feedmesh protocol connection for the mesh benchmarks, over `ws`
 * and core's codec: the relay's CHALLENGE (listened for before the socket
 * opens: it comes with the upgrade), HELLO and AUTH (as a throwaway key
 * without an identity: a relay serves nothing before AUTH), SUBSCRIBE (collecting every
 * `SYNCED` frame until `more` is false), UPDATE with a ref answered by ACK
 * or ERROR, and live updates handed to a callback as raw bytes (the
 * capacity load generator timestamps them without decoding the Yjs
 * update). Every wait is bounded.
 */
import {
  answerChallenge,
  type DocId,
  decodeMessage,
  encodeMessage,
  Identity,
  type Message,
  MessageTypes,
  PROTOCOL_VERSION,
  Roles,
  type Subscription,
  type SyncedMessage,
} from '@feedmesh/core'
import WebSocket from 'ws'

const timeoutMs = 30_000
/** How often an open connection pings the relay (its idle timeout is 60 s by default). */
const keepaliveMs = 15_000

/** One connection to a relay (see the module comment). */
export class WireClient {
  /** The socket. */
  readonly socket: WebSocket
  /** Called with every live UPDATE the relay pushes (ref 0). */
  onUpdate: ((docId: string, update: Uint8Array) => void) | undefined
  /** Called with the refs of every ACK. */
  onAck: ((refs: readonly number[]) => void) | undefined
  /** Called with every refusal. */
  onRefused: ((ref: number, message: string) => void) | undefined
  #nextRef = 1
  /** Control messages not taken yet (HELLO, CHALLENGE, WELCOME, SYNCED, ...). */
  readonly #inbox: Message[] = []
  #wake: (() => void) | undefined
  readonly #closed: Promise<void>
  /** The close code once the socket closed (by either side), else undefined. */
  closeCode: number | undefined

  private constructor(socket: WebSocket) {
    this.socket = socket
    socket.on('error', () => {})
    // keepalive like a real client: a relay closes connections silent for
    // --idle-timeout-ms (4006), and a reader only ever receives
    const keepalive = setInterval(() => {
      if (socket.readyState === WebSocket.OPEN) socket.ping()
    }, keepaliveMs)
    keepalive.unref()
    this.#closed = new Promise((resolve) =>
      socket.once('close', (code: number) => {
        clearInterval(keepalive)
        this.closeCode = code
        resolve()
      }),
    )
    socket.on('message', (data: Buffer) => this.#onFrame(new Uint8Array(data)))
  }

  /** Connects, says HELLO and authenticates as `identity` (a throwaway one when absent). */
  static async open(url: string, identity: Identity = Identity.generate()): Promise<WireClient> {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false })
    socket.binaryType = 'nodebuffer'
    const client = new WireClient(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    const challenge = await client.#take(MessageTypes.Challenge)
    client.send({
      type: MessageTypes.Hello,
      version: PROTOCOL_VERSION,
      role: Roles.Client,
      name: 'feedmesh-bench',
    })
    client.send(answerChallenge(challenge, identity, Roles.Client))
    await client.#take(MessageTypes.Welcome)
    return client
  }

  #onFrame(frame: Uint8Array): void {
    const msg = decodeMessage(frame)
    if (msg.type === MessageTypes.Update) this.onUpdate?.(msg.docId, msg.update)
    else if (msg.type === MessageTypes.Ack) this.onAck?.(msg.refs)
    else if (msg.type === MessageTypes.Error && msg.ref !== 0)
      this.onRefused?.(msg.ref, `${msg.code} ${msg.rule}`)
    else {
      this.#inbox.push(msg)
      this.#wake?.()
    }
  }

  /** Takes the first control message of `type` (waits, bounded). */
  async #take<T extends Message['type']>(type: T): Promise<Extract<Message, { type: T }>> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.type === type)
      if (i >= 0) return this.#inbox.splice(i, 1)[0] as Extract<Message, { type: T }>
      const error = this.#inbox.find((m) => m.type === MessageTypes.Error)
      if (error !== undefined) throw new Error(`relay error: ${JSON.stringify(error)}`)
      const left = deadline - performance.now()
      if (left <= 0) throw new Error(`no message of type ${type} within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500))
        this.#wake = () => {
          clearTimeout(timer)
          this.#wake = undefined
          resolve()
        }
      })
    }
  }

  /** Sends a message. */
  send(msg: Message): void {
    this.socket.send(encodeMessage(msg))
  }

  /** Subscribes in one frame and returns every `SYNCED` frame of the answer. */
  async subscribe(subscriptions: Subscription[]): Promise<SyncedMessage[]> {
    this.send({ type: MessageTypes.Subscribe, subscriptions })
    const frames: SyncedMessage[] = []
    for (;;) {
      const frame = await this.#take(MessageTypes.Synced)
      frames.push(frame)
      if (!frame.more) return frames
    }
  }

  /** Sends an UPDATE with a fresh ref; returns the ref. */
  update(docId: DocId, update: Uint8Array): number {
    const ref = this.#nextRef++
    this.send({ type: MessageTypes.Update, docId, update, ref })
    return ref
  }

  /** Closes the socket and waits (bounded) for the close. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000)
    const timer = setTimeout(() => this.socket.terminate(), 3000)
    await this.#closed
    clearTimeout(timer)
  }
}
