/**
 * A bare feedmesh protocol client for tests, over `ws` and core's codec:
 * it sends exactly the frames a test asks for and records everything the
 * relay answers. Helpers cover the usual exchange (the relay's CHALLENGE,
 * hello, auth with an Identity, subscribe, send an update and await its ACK
 * or ERROR); raw bytes can be sent for fuzzing. Every wait is bounded.
 */
import {
  answerChallenge,
  type ChallengeMessage,
  type DocId,
  decodeMessage,
  type ErrorMessage,
  encodeMessage,
  Identity,
  type Message,
  MessageTypes,
  PROTOCOL_VERSION,
  type ResumePoint,
  Roles,
  type Subscription,
  type SyncedMessage,
  type WelcomeMessage,
} from '@feedmesh/core'
import WebSocket from 'ws'
import * as Y from 'yjs'

/** The answer to one UPDATE. */
export type WriteResult = { ok: true } | { ok: false; error: ErrorMessage }

/** How the socket closed. */
export interface CloseInfo {
  code: number
  reason: string
}

const DEFAULT_TIMEOUT = 10_000

/** A raw protocol connection (see the module comment). */
export class RawClient {
  /** The WebSocket. */
  readonly socket: WebSocket
  /** Messages received and not yet taken (ACKs and ERRORs with a ref go to results instead). */
  readonly inbox: Message[] = []
  /** Every frame that failed to decode (should stay empty). */
  readonly undecodable: Uint8Array[] = []
  /** Resolves when the socket closes. */
  readonly closed: Promise<CloseInfo>
  /** The relay's CHALLENGE, after {@link RawClient.hello}. */
  challenge: ChallengeMessage | undefined
  #nextRef = 1
  readonly #results = new Map<number, WriteResult>()
  readonly #resultWaiters = new Map<number, (result: WriteResult) => void>()
  #waiters: (() => void)[] = []

  private constructor(socket: WebSocket) {
    this.socket = socket
    socket.binaryType = 'nodebuffer'
    socket.on('message', (data: Buffer) => this.#onFrame(new Uint8Array(data)))
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() })
        this.#wake()
      })
    })
    socket.on('error', () => {})
  }

  /** Opens a connection to `url` (bounded wait). */
  static async connect(url: string, timeoutMs = DEFAULT_TIMEOUT): Promise<RawClient> {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs })
    // listening before the socket opens: the relay's CHALLENGE comes with the upgrade
    const client = new RawClient(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    return client
  }

  /**
   * Opens a connection, says HELLO and authenticates as `identity` (a
   * throwaway one when absent: a relay serves nothing before `AUTH`).
   */
  static async open(url: string, identity?: Identity): Promise<RawClient> {
    const client = await RawClient.connect(url)
    await client.hello()
    await client.auth(identity ?? Identity.generate())
    return client
  }

  #onFrame(frame: Uint8Array): void {
    let msg: Message
    try {
      msg = decodeMessage(frame)
    } catch {
      this.undecodable.push(frame)
      return
    }
    if (msg.type === MessageTypes.Ack) {
      for (const ref of msg.refs) this.#setResult(ref, { ok: true })
    } else if (msg.type === MessageTypes.Error && msg.ref !== 0) {
      this.#setResult(msg.ref, { ok: false, error: msg })
    } else {
      this.inbox.push(msg)
    }
    this.#wake()
  }

  #setResult(ref: number, result: WriteResult): void {
    this.#results.set(ref, result)
    const waiter = this.#resultWaiters.get(ref)
    if (waiter !== undefined) {
      this.#resultWaiters.delete(ref)
      waiter(result)
    }
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  /** Waits until `check` returns something other than undefined (re-checked on every frame). */
  async until<T>(
    check: () => T | undefined,
    what: string,
    timeoutMs = DEFAULT_TIMEOUT,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = check()
      if (value !== undefined) return value
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250))
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Takes the first received message matching `match` (waits for it). */
  take<T extends Message>(
    match: (msg: Message) => msg is T,
    what: string,
    timeoutMs?: number,
  ): Promise<T>
  take(match: (msg: Message) => boolean, what: string, timeoutMs?: number): Promise<Message>
  take(match: (msg: Message) => boolean, what: string, timeoutMs?: number): Promise<Message> {
    return this.until(
      () => {
        const i = this.inbox.findIndex(match)
        return i < 0 ? undefined : this.inbox.splice(i, 1)[0]
      },
      what,
      timeoutMs,
    )
  }

  /** Takes the first message of a type. */
  next<T extends Message['type']>(
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<Message, { type: T }>> {
    return this.take(
      (m): m is Extract<Message, { type: T }> => m.type === type,
      `message type ${type}`,
      timeoutMs,
    )
  }

  /** Sends a message. */
  send(msg: Message): void {
    this.socket.send(encodeMessage(msg))
  }

  /** Sends raw bytes as one binary frame. */
  sendRaw(bytes: Uint8Array): void {
    this.socket.send(bytes)
  }

  /** Waits for the relay's CHALLENGE (sent as the socket opens), then sends HELLO. */
  async hello(name = 'raw-test-client'): Promise<ChallengeMessage> {
    this.challenge = await this.next(MessageTypes.Challenge)
    this.send({ type: MessageTypes.Hello, version: PROTOCOL_VERSION, role: Roles.Client, name })
    return this.challenge
  }

  /** The AUTH answering the relay's CHALLENGE as `identity` (after {@link RawClient.hello}). */
  authMessage(identity: Identity): Message {
    const challenge = this.challenge
    if (challenge === undefined) throw new Error('hello first')
    return answerChallenge(challenge, identity, Roles.Client)
  }

  /** Answers the challenge as `identity` and waits for WELCOME. */
  async auth(identity: Identity): Promise<WelcomeMessage> {
    this.send(this.authMessage(identity))
    return this.next(MessageTypes.Welcome)
  }

  /** Subscribes in one frame and collects the SYNCED answer (every frame until `more` is false). */
  async subscribe(subscriptions: Subscription[], resume?: ResumePoint): Promise<SyncedMessage[]> {
    this.send(
      resume === undefined
        ? { type: MessageTypes.Subscribe, subscriptions }
        : { type: MessageTypes.Subscribe, subscriptions, resume },
    )
    const frames: SyncedMessage[] = []
    for (;;) {
      const synced = await this.next(MessageTypes.Synced)
      frames.push(synced)
      if (!synced.more) return frames
    }
  }

  /** Sends an UPDATE with a fresh ref; returns the ref. */
  update(docId: DocId, update: Uint8Array): number {
    const ref = this.#nextRef++
    this.send({ type: MessageTypes.Update, docId, update, ref })
    return ref
  }

  /** The answer to an update, once it arrived (undefined before). */
  resultOf(ref: number): WriteResult | undefined {
    return this.#results.get(ref)
  }

  /** Waits for the ACK or ERROR of `ref`. */
  result(ref: number, timeoutMs = DEFAULT_TIMEOUT): Promise<WriteResult> {
    const known = this.#results.get(ref)
    if (known !== undefined) return Promise.resolve(known)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#resultWaiters.delete(ref)
        reject(new Error(`timed out waiting for the answer to update ${ref}`))
      }, timeoutMs)
      this.#resultWaiters.set(ref, (result) => {
        clearTimeout(timer)
        resolve(result)
      })
      void this.closed.then(() => {
        if (!this.#resultWaiters.has(ref)) return
        this.#resultWaiters.delete(ref)
        clearTimeout(timer)
        reject(new Error(`the connection closed before the answer to update ${ref}`))
      })
    })
  }

  /** Sends an update and waits for its answer. */
  write(docId: DocId, update: Uint8Array, timeoutMs?: number): Promise<WriteResult> {
    return this.result(this.update(docId, update), timeoutMs)
  }

  /** Sends PING and waits for the PONG (proves the connection is usable). */
  async ping(nonce = Math.floor(Math.random() * 1e9)): Promise<void> {
    this.send({ type: MessageTypes.Ping, nonce })
    await this.take((m) => m.type === MessageTypes.Pong && m.nonce === nonce, 'PONG')
  }

  /** Closes the socket and waits (bounded) for the close. */
  async close(): Promise<CloseInfo> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000)
    const timeout = new Promise<CloseInfo>((resolve) =>
      setTimeout(() => {
        this.socket.terminate()
        resolve({ code: -1, reason: 'terminated' })
      }, 3000).unref(),
    )
    return Promise.race([this.closed, timeout])
  }
}

/** Reads documents from a relay as a throwaway identity: one SUBSCRIBE, then close. */
export async function readDocs(url: string, docIds: DocId[]): Promise<Map<DocId, Y.Doc>> {
  const client = await RawClient.open(url)
  try {
    const frames = await client.subscribe(
      docIds.map((docId) => ({ docId, stateVector: Y.encodeStateVector(new Y.Doc()) })),
    )
    const docs = new Map<DocId, Y.Doc>()
    for (const docId of docIds) docs.set(docId, new Y.Doc())
    for (const frame of frames) {
      for (const entry of frame.docs) Y.applyUpdate(docs.get(entry.docId)!, entry.update)
    }
    return docs
  } finally {
    await client.close()
  }
}
