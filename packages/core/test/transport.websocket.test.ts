/**
 * Wire-level tests of WebSocketTransport against a relay scripted in this
 * file: a `ws` WebSocketServer on 127.0.0.1, port 0, that speaks the codec
 * (its CHALLENGE as the socket opens, frames handled in order, a signature
 * checked by core's verify, nothing but an error before AUTH succeeded,
 * SUBSCRIBE answered from its own Y.Docs, UPDATE applied, acknowledged and
 * forwarded) and that each test bends to misbehave. The real relay's end-to-end tests live with
 * the relay package.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocketServer, WebSocket as WS } from 'ws'
import * as Y from 'yjs'
import { FeedClient } from '../src/client/FeedClient.js'
import type { DocId } from '../src/docIds.js'
import { verify } from '../src/ed25519.js'
import { FeedmeshError } from '../src/errors.js'
import { Identity, publicKeyFromUserId } from '../src/Identity.js'
import { authPayload } from '../src/protocol/authPayload.js'
import { CloseCodes } from '../src/protocol/closeCodes.js'
import { decodeMessage } from '../src/protocol/decodeMessage.js'
import { encodeMessage } from '../src/protocol/encodeMessage.js'
import {
  type ConnectionLimits,
  type Message,
  MessageTypes,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  Roles,
  type SubscribeMessage,
  type SubscribeSetMessage,
} from '../src/protocol/messages.js'
import { setIdKey, sortedSet, subscriptionSetId } from '../src/protocol/subscriptionSets.js'
import { RecordVerifier } from '../src/records.js'
import type { RelayError, TransportHandler } from '../src/transport/Transport.js'
import { WebSocketTransport } from '../src/transport/WebSocketTransport.js'

type Event =
  | { e: 'open'; relay: string }
  | { e: 'close'; reason: string; code?: number; retry: boolean }
  | { e: 'caughtUp'; docIds: DocId[] }
  | { e: 'awareness'; docId: DocId; payload: Uint8Array }
  | { e: 'synced'; docId: DocId; update: Uint8Array; stateVector: Uint8Array }
  | { e: 'update'; docId: DocId; update: Uint8Array }
  | { e: 'ack'; docId: DocId; ref: number }
  | { e: 'error'; error: RelayError }

/** A handler that records every call. */
function recorder(): TransportHandler & {
  events: Event[]
  of<K extends Event['e']>(k: K): Extract<Event, { e: K }>[]
} {
  const events: Event[] = []
  return {
    events,
    of: <K extends Event['e']>(k: K) =>
      events.filter((ev): ev is Extract<Event, { e: K }> => ev.e === k),
    onOpen: (relay) => events.push({ e: 'open', relay }),
    onClose: (reason, info) => events.push({ e: 'close', reason, ...info }),
    onCaughtUp: (docIds) => events.push({ e: 'caughtUp', docIds: [...docIds] }),
    onAwareness: (docId, payload) => events.push({ e: 'awareness', docId, payload }),
    onSynced: (docId, update, stateVector) =>
      events.push({ e: 'synced', docId, update, stateVector }),
    onUpdate: (docId, update) => events.push({ e: 'update', docId, update }),
    onAck: (docId, ref) => events.push({ e: 'ack', docId, ref }),
    onError: (error) => events.push({ e: 'error', error }),
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** One client connection at the scripted relay. */
interface Conn {
  socket: WS
  /** Every frame received, decoded, in order. */
  received: Message[]
  /** Frames handled (other than the handshake's) before WELCOME went out. */
  early: Message[]
  /** True once the client's HELLO was handled. */
  greeted: boolean
  welcomed: boolean
  userId: string | undefined
  subscribed: Set<DocId>
  nonce: Uint8Array
  /** The frames are handled one after another, in order, like the real relay's inbox. */
  inbox: Promise<void>
  closed: { code: number; reason: string } | undefined
  send(msg: Message): void
}

interface ScriptOptions {
  name?: string
  epoch?: string
  limits?: Partial<ConnectionLimits>
  /** Refuse every AUTH with ERROR `auth-failed` and close 4001. */
  rejectAuth?: boolean
  /** Send no CHALLENGE at all. */
  mute?: boolean
  /** The version range of the CHALLENGE (default: the versions this code speaks). */
  versions?: [number, number]
  /** WELCOME waits for this (frames behind AUTH wait too, as they are handled in order). */
  holdWelcome?: Promise<void>
  /** Answer PING with PONG (default true). */
  answerPings?: boolean
  /** Called for every message after WELCOME; return true to skip the default behaviour. */
  onMessage?: (conn: Conn, msg: Message) => boolean
}

/** A relay scripted over the codec (see the module comment). */
class ScriptedRelay {
  readonly identity = Identity.generate()
  readonly conns: Conn[] = []
  readonly docs = new Map<DocId, Y.Doc>()
  /** The subscription sets this relay was told about, by key. */
  readonly sets = new Map<string, DocId[]>()
  seq = 0
  readonly #server: WebSocketServer
  readonly #options: ScriptOptions

  private constructor(server: WebSocketServer, options: ScriptOptions) {
    this.#server = server
    this.#options = options
    server.on('connection', (socket) => this.#accept(socket))
  }

  static async start(options: ScriptOptions = {}): Promise<ScriptedRelay> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    const relay = new ScriptedRelay(server, options)
    relays.push(relay)
    return relay
  }

  get url(): string {
    const address = this.#server.address()
    if (typeof address !== 'object' || address === null) throw new Error('not listening')
    return `ws://127.0.0.1:${address.port}`
  }

  limits(): ConnectionLimits {
    return { maxFrameBytes: 1 << 20, maxDocs: 1000, maxBatch: 100, ...this.#options.limits }
  }

  doc(docId: DocId): Y.Doc {
    let doc = this.docs.get(docId)
    if (doc === undefined) {
      doc = new Y.Doc()
      this.docs.set(docId, doc)
    }
    return doc
  }

  async close(): Promise<void> {
    for (const conn of this.conns) conn.socket.terminate()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept(socket: WS): void {
    const conn: Conn = {
      socket,
      received: [],
      early: [],
      greeted: false,
      welcomed: false,
      userId: undefined,
      subscribed: new Set(),
      nonce: new Uint8Array(randomBytes(32)),
      inbox: Promise.resolve(),
      closed: undefined,
      send: (msg) => {
        if (socket.readyState === WS.OPEN) socket.send(encodeMessage(msg))
      },
    }
    this.conns.push(conn)
    socket.on('close', (code, reason) => {
      conn.closed = { code, reason: reason.toString() }
    })
    socket.on('message', (data, isBinary) => {
      if (!isBinary) throw new Error('the transport sent a text frame')
      const msg = decodeMessage(new Uint8Array(data as Buffer))
      conn.received.push(msg)
      conn.inbox = conn.inbox.then(() => this.#receive(conn, msg))
    })
    if (this.#options.mute === true) return
    const [minVersion, maxVersion] = this.#options.versions ?? [
      MIN_PROTOCOL_VERSION,
      PROTOCOL_VERSION,
    ]
    conn.send({
      type: MessageTypes.Challenge,
      minVersion,
      maxVersion,
      nonce: conn.nonce,
      relayId: this.identity.userId,
      name: this.#options.name ?? 'scripted',
      epoch: this.#options.epoch ?? 'e1',
      seq: this.seq,
      limits: this.limits(),
    })
  }

  async #receive(conn: Conn, msg: Message): Promise<void> {
    if (conn.closed !== undefined) return
    const options = this.#options
    const refuse = (code: string, message: string) => {
      conn.send({ type: MessageTypes.Error, code, rule: '', docId: '', ref: 0, message })
      conn.socket.close(CloseCodes.AuthFailed, code)
      conn.closed = { code: CloseCodes.AuthFailed, reason: code }
    }
    if (!conn.welcomed) {
      if (msg.type === MessageTypes.Hello && !conn.greeted) {
        expect(msg).toMatchObject({ role: Roles.Client, version: PROTOCOL_VERSION })
        conn.greeted = true
        return
      }
      if (msg.type === MessageTypes.Auth && conn.greeted) {
        const payload = authPayload(conn.nonce, this.identity.userId, Roles.Client)
        const ok = await verify(publicKeyFromUserId(msg.publicKey), payload, msg.signature)
        if (!ok || options.rejectAuth === true) {
          refuse('auth-failed', 'bad signature')
          return
        }
        await options.holdWelcome
        conn.userId = msg.publicKey
        conn.welcomed = true
        conn.send({
          type: MessageTypes.Welcome,
          userId: msg.publicKey,
          role: Roles.Client,
          limits: this.limits(),
        })
        return
      }
      // Like the real relay: nothing but the error before AUTH succeeded.
      conn.early.push(msg)
      if (msg.type !== MessageTypes.Error) refuse('unauthenticated', 'AUTH first')
      return
    }
    if (msg.type === MessageTypes.Ping) {
      if (options.answerPings !== false) conn.send({ type: MessageTypes.Pong, nonce: msg.nonce })
      return
    }
    if (msg.type === MessageTypes.Pong) return
    if (options.onMessage?.(conn, msg) === true) return
    this.#serve(conn, msg)
  }

  /** The default relay: answer subscriptions, store, acknowledge and forward updates. */
  #serve(conn: Conn, msg: Message): void {
    switch (msg.type) {
      case MessageTypes.Subscribe: {
        const docs = msg.subscriptions.map((s) => {
          conn.subscribed.add(s.docId)
          const doc = this.doc(s.docId)
          return {
            docId: s.docId,
            update: Y.encodeStateAsUpdate(
              doc,
              s.stateVector.length === 0 ? undefined : s.stateVector,
            ),
            stateVector: Y.encodeStateVector(doc),
          }
        })
        conn.send({
          type: MessageTypes.Synced,
          docs,
          epoch: this.#options.epoch ?? 'e1',
          seq: this.seq,
          more: false,
        })
        return
      }
      case MessageTypes.SubscribeSet: {
        // a relay that remembers full sets: an unknown base is `unknown-set`
        const base = msg.base === undefined ? [] : this.sets.get(setIdKey(msg.base))
        if (base === undefined) {
          conn.send({
            type: MessageTypes.Error,
            code: 'unknown-set',
            rule: '',
            docId: '',
            ref: 0,
            message: 'unknown base set',
          })
          return
        }
        const ids = sortedSet([...base, ...msg.add.map((s) => s.docId)]).filter(
          (docId) => !msg.remove.includes(docId),
        )
        this.sets.set(setIdKey(msg.setId), ids)
        const docs = ids.map((docId) => {
          conn.subscribed.add(docId)
          const doc = this.doc(docId)
          return {
            docId,
            update: Y.encodeStateAsUpdate(doc),
            stateVector: Y.encodeStateVector(doc),
          }
        })
        conn.send({
          type: MessageTypes.Synced,
          docs: msg.resume === undefined ? docs : [],
          epoch: this.#options.epoch ?? 'e1',
          seq: this.seq,
          more: false,
        })
        return
      }
      case MessageTypes.Unsubscribe:
        for (const docId of msg.docIds) conn.subscribed.delete(docId)
        return
      case MessageTypes.Update: {
        Y.applyUpdate(this.doc(msg.docId), msg.update)
        this.seq++
        conn.send({ type: MessageTypes.Ack, docId: msg.docId, refs: [msg.ref] })
        for (const other of this.conns) {
          if (other === conn || !other.subscribed.has(msg.docId) || other.closed !== undefined)
            continue
          other.send({ type: MessageTypes.Update, docId: msg.docId, update: msg.update, ref: 0 })
        }
        return
      }
      default:
        return
    }
  }
}

const realClearTimeout = globalThis.clearTimeout
const realClearInterval = globalThis.clearInterval
const relays: ScriptedRelay[] = []
const transports: WebSocketTransport[] = []
const clients: FeedClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  for (const t of transports.splice(0)) t.disconnect()
  await Promise.all(relays.splice(0).map((r) => r.close()))
})

function transport(
  relay: ScriptedRelay | string,
  options: Partial<ConstructorParameters<typeof WebSocketTransport>[0]> = {},
): WebSocketTransport {
  const t = new WebSocketTransport({
    url: typeof relay === 'string' ? relay : relay.url,
    identity: Identity.generate(),
    WebSocket: WS,
    ...options,
  })
  transports.push(t)
  return t
}

/** Connects and waits for `onOpen`. */
async function open(t: WebSocketTransport, h = recorder()): Promise<ReturnType<typeof recorder>> {
  t.connect(h)
  await until(() => h.of('open').length === 1, 'open')
  return h
}

const sv = (): Uint8Array => Y.encodeStateVector(new Y.Doc())
const docIds = (n: number): DocId[] => Array.from({ length: n }, (_, i) => `u/doc${i}` as DocId)

describe('WebSocketTransport: handshake', () => {
  it('authenticates with a signature the relay verifies, then opens', async () => {
    const relay = await ScriptedRelay.start({ name: 'relay-one' })
    const identity = Identity.generate()
    const t = transport(relay, { identity, name: 'test-client' })
    expect(t.state).toBe('closed')
    const h = recorder()
    t.connect(h)
    expect(t.state).toBe('connecting')
    await until(() => h.events.length > 0, 'first event')
    expect(h.events).toEqual([{ e: 'open', relay: 'relay-one' }])
    expect(t.state).toBe('open')
    const conn = relay.conns[0]!
    expect(conn.userId).toBe(identity.userId)
    expect(conn.received.map((m) => m.type)).toEqual([MessageTypes.Hello, MessageTypes.Auth])
    expect(conn.received[0]).toEqual({
      type: MessageTypes.Hello,
      version: PROTOCOL_VERSION,
      role: Roles.Client,
      name: 'test-client',
    })
    expect(t.relayId).toBe(relay.identity.userId)
    expect(t.limits).toEqual(relay.limits())
    // The signature binds the relay: it does not verify for another relay id.
    const auth = conn.received.find((m) => m.type === MessageTypes.Auth)
    if (auth?.type !== MessageTypes.Auth) throw new Error('no AUTH')
    const other = authPayload(conn.nonce, Identity.generate().userId, Roles.Client)
    expect(await verify(identity.publicKey, other, auth.signature)).toBe(false)
  })

  it('reports a refused AUTH, then closes once with the close code', async () => {
    const relay = await ScriptedRelay.start({ rejectAuth: true })
    const t = transport(relay)
    const h = recorder()
    t.connect(h)
    await until(() => h.of('close').length === 1, 'close')
    expect(h.of('error')[0]?.error).toEqual({ code: 'auth-failed', message: 'bad signature' })
    expect(h.of('close')[0]?.reason).toContain('4001 AuthFailed')
    expect(t.lastClose).toMatchObject({ code: CloseCodes.AuthFailed, retry: false })
    expect(h.of('close')[0]).toMatchObject({ code: CloseCodes.AuthFailed, retry: false })
    expect(h.of('open')).toEqual([])
    expect(t.state).toBe('closed')
  })

  it('without an identity: authenticates with a throwaway key, reads, and refuses to send updates', async () => {
    const relay = await ScriptedRelay.start({ name: 'public', limits: { maxBatch: 7 } })
    const t = transport(relay, { identity: undefined })
    expect(t.readOnly).toBe(true)
    expect(t.userId).toBeUndefined()
    const h = await open(t)
    expect(h.of('open')).toEqual([{ e: 'open', relay: 'public' }])
    expect(t.limits).toEqual(relay.limits())
    const doc = relay.doc('u/x' as DocId)
    doc.getMap('records').set('k', 'v')
    t.subscribe([{ docId: 'u/x' as DocId, stateVector: sv() }])
    t.sendUpdate('u/x' as DocId, new Uint8Array([0, 0]), 7)
    await until(() => h.of('synced').length === 1, 'synced')
    const copy = new Y.Doc()
    Y.applyUpdate(copy, h.of('synced')[0]!.update)
    expect(copy.getMap('records').get('k')).toBe('v')
    expect(h.of('error')).toEqual([
      { e: 'error', error: expect.objectContaining({ code: 'read-only', docId: 'u/x', ref: 7 }) },
    ])
    const conn = relay.conns[0]!
    expect(conn.welcomed).toBe(true)
    expect(conn.userId).toEqual(expect.any(String))
    expect(conn.received.map((m) => m.type)).toEqual([
      MessageTypes.Hello,
      MessageTypes.Auth,
      MessageTypes.Subscribe,
    ])
    // one throwaway key per transport, not per connection
    t.disconnect()
    const again = await open(t)
    expect(again.of('open')).toHaveLength(1)
    expect(relay.conns[1]?.userId).toBe(conn.userId)
  })

  it('closes with bad-version on a CHALLENGE without its protocol version, and says nothing else', async () => {
    const relay = await ScriptedRelay.start({
      versions: [PROTOCOL_VERSION + 1, PROTOCOL_VERSION + 2],
    })
    const t = transport(relay)
    const h = recorder()
    t.connect(h)
    await until(() => h.of('close').length === 1, 'close')
    const conn = relay.conns[0]!
    await until(() => conn.closed !== undefined, 'close at the relay')
    expect(conn.closed?.code).toBe(CloseCodes.BadVersion)
    // no HELLO and no AUTH: only the error
    expect(conn.received).toEqual([
      expect.objectContaining({ type: MessageTypes.Error, code: 'bad-version' }),
    ])
    expect(h.of('error').map((e) => e.error.code)).toEqual(['bad-version'])
    expect(h.of('error')[0]?.error.message).toMatch(/version 3 to 4/)
    expect(h.of('close')[0]).toMatchObject({ code: CloseCodes.BadVersion, retry: false })
    expect(h.of('open')).toEqual([])
  })

  it('speaks with a relay whose range also holds later versions', async () => {
    const relay = await ScriptedRelay.start({ versions: [PROTOCOL_VERSION, PROTOCOL_VERSION + 5] })
    const h = await open(transport(relay))
    expect(h.of('open')).toHaveLength(1)
    expect(relay.conns[0]?.received[0]).toMatchObject({ version: PROTOCOL_VERSION })
  })

  it('gives up a relay that never completes the handshake', async () => {
    const relay = await ScriptedRelay.start({ mute: true })
    const t = transport(relay, { handshakeTimeoutMs: 100 })
    const h = recorder()
    t.connect(h)
    await until(() => h.of('close').length === 1, 'close')
    expect(h.of('error').map((e) => e.error.code)).toEqual(['handshake-timeout'])
    expect(h.of('close')[0]?.reason).toMatch(/handshake timeout/)
    await until(() => relay.conns[0]?.closed !== undefined, 'socket gone at the relay')
  })

  it('reports an unreachable relay once, and connects again later', async () => {
    const relay = await ScriptedRelay.start()
    const url = relay.url
    await relay.close()
    relays.splice(relays.indexOf(relay), 1)
    const t = transport(url)
    const h = recorder()
    t.connect(h)
    await until(() => h.of('close').length === 1, 'close')
    expect(h.of('error').map((e) => e.error.code)).toEqual(['unreachable'])
    expect(h.of('close')[0]?.reason).toContain(url)
    expect(t.state).toBe('closed')
    expect(() => t.subscribe([{ docId: 'u/x' as DocId, stateVector: sv() }])).toThrow(FeedmeshError)
  })
})

describe('WebSocketTransport: requests and relay frames', () => {
  it('sends requests made while connecting right behind AUTH, in one flight, before WELCOME', async () => {
    let release = () => {}
    const holdWelcome = new Promise<void>((resolve) => {
      release = resolve
    })
    const relay = await ScriptedRelay.start({ holdWelcome })
    const t = transport(relay)
    const h = recorder()
    t.connect(h)
    const doc = new Y.Doc()
    doc.getMap('records').set('k', 1)
    const update = Y.encodeStateAsUpdate(doc)
    t.subscribe([{ docId: 'u/a' as DocId, stateVector: sv() }])
    t.sendUpdate('u/a' as DocId, update, 1)
    t.unsubscribe(['u/b' as DocId])
    expect(relay.conns.length === 0 || relay.conns[0]!.received.length === 0).toBe(true)
    await until(() => relay.conns[0]?.received.length === 5, 'the first flight')
    const conn = relay.conns[0]!
    expect(conn.received.map((m) => m.type)).toEqual([
      MessageTypes.Hello,
      MessageTypes.Auth,
      MessageTypes.Subscribe,
      MessageTypes.Update,
      MessageTypes.Unsubscribe,
    ])
    // all of it arrived while WELCOME was held back; a request made now goes out at once too
    expect(conn.welcomed).toBe(false)
    expect(t.state).toBe('connecting')
    t.subscribe([{ docId: 'u/c' as DocId, stateVector: sv() }])
    await until(() => conn.received.length === 6, 'a request before WELCOME')
    expect(h.events).toEqual([])
    release()
    await until(() => h.of('ack').length === 1 && h.of('caughtUp').length === 2, 'ack')
    expect(conn.early).toEqual([])
    expect(h.events.map((e) => e.e)).toEqual([
      'open',
      'synced',
      'caughtUp',
      'ack',
      'synced',
      'caughtUp',
    ])
    expect(h.of('caughtUp')).toEqual([
      { e: 'caughtUp', docIds: ['u/a'] },
      { e: 'caughtUp', docIds: ['u/c'] },
    ])
    expect(h.of('ack')[0]).toEqual({ e: 'ack', docId: 'u/a', ref: 1 })
    expect(
      relay
        .doc('u/a' as DocId)
        .getMap('records')
        .get('k'),
    ).toBe(1)
  })

  it('splits requests before WELCOME by the limits of the CHALLENGE', async () => {
    const relay = await ScriptedRelay.start({ limits: { maxBatch: 2 } })
    const t = transport(relay)
    const h = recorder()
    t.connect(h)
    t.subscribe(docIds(5).map((docId) => ({ docId, stateVector: sv() })))
    await until(() => h.of('caughtUp').length === 3, 'three answers')
    const subs = relay.conns[0]!.received.filter((m) => m.type === MessageTypes.Subscribe)
    expect(subs.map((m) => m.subscriptions.length)).toEqual([2, 2, 1])
  })

  it('a refused AUTH leaves the requests pipelined behind it unanswered', async () => {
    const relay = await ScriptedRelay.start({ rejectAuth: true })
    relay
      .doc('u/a' as DocId)
      .getMap('records')
      .set('k', 1)
    const t = transport(relay)
    const h = recorder()
    t.connect(h)
    t.subscribe([{ docId: 'u/a' as DocId, stateVector: sv() }])
    await until(() => h.of('close').length === 1, 'close')
    expect(relay.conns[0]!.received.map((m) => m.type)).toEqual([
      MessageTypes.Hello,
      MessageTypes.Auth,
      MessageTypes.Subscribe,
    ])
    expect(h.events.map((e) => e.e)).toEqual(['error', 'close'])
    expect(h.of('close')[0]).toMatchObject({ code: CloseCodes.AuthFailed, retry: false })
  })

  it('splits SUBSCRIBE and UNSUBSCRIBE by the relay maxBatch', async () => {
    const relay = await ScriptedRelay.start({ limits: { maxBatch: 3 } })
    const t = transport(relay)
    const h = await open(t)
    const ids = docIds(8)
    t.subscribe(ids.map((docId) => ({ docId, stateVector: sv() })))
    await until(() => h.of('synced').length === 8, 'eight synced')
    const conn = relay.conns[0]!
    const subs = conn.received.filter((m) => m.type === MessageTypes.Subscribe)
    expect(subs.map((m) => m.subscriptions.length)).toEqual([3, 3, 2])
    expect(h.of('synced').map((e) => e.docId)).toEqual(ids)
    t.unsubscribe(ids.slice(0, 7))
    await until(
      () => conn.received.filter((m) => m.type === MessageTypes.Unsubscribe).length === 3,
      'unsubscribes',
    )
    const unsubs = conn.received.filter((m) => m.type === MessageTypes.Unsubscribe)
    expect(unsubs.map((m) => m.docIds)).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6, 7)])
    // One caught-up per SUBSCRIBE frame, after its SYNCED.
    expect(h.of('caughtUp').map((e) => e.docIds)).toEqual([
      ids.slice(0, 3),
      ids.slice(3, 6),
      ids.slice(6),
    ])
    const order = h.events.filter((e) => e.e === 'synced' || e.e === 'caughtUp').map((e) => e.e)
    expect(order.slice(0, 4)).toEqual(['synced', 'synced', 'synced', 'caughtUp'])
  })

  it('splits SUBSCRIBE by maxFrameBytes too', async () => {
    const relay = await ScriptedRelay.start({ limits: { maxFrameBytes: 1000 } })
    const t = transport(relay)
    const h = await open(t)
    const big = new Uint8Array(300).fill(1)
    t.subscribe(docIds(7).map((docId) => ({ docId, stateVector: big })))
    const conn = relay.conns[0]!
    await until(
      () => conn.received.filter((m) => m.type === MessageTypes.Subscribe).length >= 3,
      'frames',
    )
    await sleep(20)
    const subs = conn.received.filter(
      (m): m is SubscribeMessage => m.type === MessageTypes.Subscribe,
    )
    expect(subs.map((m) => m.subscriptions.length).reduce((a, b) => a + b, 0)).toBe(7)
    for (const m of subs) expect(encodeMessage(m).length).toBeLessThanOrEqual(1000)
    expect(h.of('error')).toEqual([])
  })

  it('maps ACK (batched), ERROR and UPDATE frames to handler calls', async () => {
    const updates: Message[] = []
    const relay = await ScriptedRelay.start({
      onMessage: (conn, msg) => {
        if (msg.type !== MessageTypes.Update) return false
        updates.push(msg)
        if (updates.length < 3) return true
        conn.send({ type: MessageTypes.Ack, docId: 'u/a', refs: [1, 2] })
        conn.send({
          type: MessageTypes.Error,
          code: 'refused',
          rule: 'not-author',
          docId: 'u/a',
          ref: 3,
          message: 'no',
        })
        conn.send({
          type: MessageTypes.Error,
          code: 'rate',
          rule: '',
          docId: '',
          ref: 0,
          message: 'slow down',
        })
        conn.send({
          type: MessageTypes.Update,
          docId: 'u/a',
          update: new Uint8Array([0, 0]),
          ref: 0,
        })
        return true
      },
    })
    const t = transport(relay)
    const h = await open(t)
    for (const ref of [1, 2, 3]) t.sendUpdate('u/a' as DocId, new Uint8Array([0, 0]), ref)
    await until(() => h.of('update').length === 1, 'update')
    expect(h.events.slice(1)).toEqual([
      { e: 'ack', docId: 'u/a', ref: 1 },
      { e: 'ack', docId: 'u/a', ref: 2 },
      {
        e: 'error',
        error: { code: 'refused', rule: 'not-author', docId: 'u/a', ref: 3, message: 'no' },
      },
      { e: 'error', error: { code: 'rate', message: 'slow down' } },
      { e: 'update', docId: 'u/a', update: new Uint8Array([0, 0]) },
    ])
    expect(t.state).toBe('open')
  })

  it('answers PING with PONG', async () => {
    const relay = await ScriptedRelay.start()
    const t = transport(relay)
    await open(t)
    const conn = relay.conns[0]!
    conn.send({ type: MessageTypes.Ping, nonce: 42 })
    await until(() => conn.received.some((m) => m.type === MessageTypes.Pong), 'pong')
    expect(conn.received.find((m) => m.type === MessageTypes.Pong)).toEqual({
      type: MessageTypes.Pong,
      nonce: 42,
    })
  })

  it('reports an update larger than maxFrameBytes instead of sending it', async () => {
    const relay = await ScriptedRelay.start({ limits: { maxFrameBytes: 200 } })
    const t = transport(relay)
    const h = await open(t)
    t.sendUpdate('u/a' as DocId, new Uint8Array(500), 9)
    expect(h.of('error')[0]?.error).toMatchObject({ code: 'too-large', docId: 'u/a', ref: 9 })
    await sleep(20)
    expect(relay.conns[0]!.received.some((m) => m.type === MessageTypes.Update)).toBe(false)
    expect(t.state).toBe('open')
  })
})

describe('WebSocketTransport: failures and closing', () => {
  for (const [name, frame, code, closeCode] of [
    [
      'an unknown message type',
      new Uint8Array([0x63, 1, 2]),
      'unknown-type',
      CloseCodes.ProtocolError,
    ],
    [
      'a truncated UPDATE',
      encodeMessage({
        type: MessageTypes.Update,
        docId: 'u/a',
        update: new Uint8Array(9),
        ref: 1,
      }).slice(0, 8),
      'truncated',
      CloseCodes.ProtocolError,
    ],
    ['a text frame', 'hello', 'text-frame', CloseCodes.UnsupportedData],
    [
      'a WELCOME after WELCOME',
      encodeMessage({
        type: MessageTypes.Welcome,
        userId: Identity.generate().userId,
        role: Roles.Client,
        limits: { maxFrameBytes: 1, maxDocs: 1, maxBatch: 1 },
      }),
      'unexpected-message',
      CloseCodes.ProtocolError,
    ],
  ] as const) {
    it(`closes on ${name} from the relay: onError, ERROR frame, close ${closeCode}, onClose once`, async () => {
      const relay = await ScriptedRelay.start()
      const t = transport(relay)
      const h = await open(t)
      const conn = relay.conns[0]!
      conn.socket.send(frame)
      await until(() => conn.closed !== undefined, 'close at the relay')
      expect(conn.closed?.code).toBe(closeCode)
      expect(conn.received.at(-1)).toMatchObject({ type: MessageTypes.Error, code })
      expect(h.of('error').map((e) => e.error.code)).toEqual([code])
      await sleep(20)
      expect(h.of('close')).toHaveLength(1)
      expect(h.of('close')[0]?.reason).toContain(code)
      expect(t.state).toBe('closed')
    })
  }

  it('detects a relay that stops answering (keepalive timeout)', async () => {
    const script: ScriptOptions = {}
    const relay = await ScriptedRelay.start(script)
    const t = transport(relay, { pingIntervalMs: 30, idleTimeoutMs: 150 })
    const h = await open(t)
    const conn = relay.conns[0]!
    // While the relay answers PINGs, the connection stays open well past the idle timeout.
    await sleep(400)
    expect(t.state).toBe('open')
    expect(conn.received.filter((m) => m.type === MessageTypes.Ping).length).toBeGreaterThan(5)
    expect(conn.received.filter((m) => m.type === MessageTypes.Pong)).toEqual([])
    // A half-open connection: frames go out, nothing comes back.
    script.answerPings = false
    conn.socket.pause()
    const start = Date.now()
    await until(() => h.of('close').length === 1, 'idle close', 2_000)
    expect(Date.now() - start).toBeLessThan(1_500)
    expect(h.of('error').map((e) => e.error.code)).toEqual(['idle-timeout'])
    expect(h.of('close')[0]?.reason).toMatch(/idle timeout/)
    expect(t.lastClose).toMatchObject({ code: CloseCodes.IdleTimeout, retry: true })
    expect(t.state).toBe('closed')
    conn.socket.resume()
    await until(() => conn.closed !== undefined, 'socket gone at the relay')
  })

  it('reports a relay closing the connection once, and connects again', async () => {
    const relay = await ScriptedRelay.start()
    const t = transport(relay)
    const h = await open(t)
    relay.conns[0]!.socket.close(CloseCodes.GoingAway, 'draining')
    await until(() => h.of('close').length === 1, 'close')
    await sleep(30)
    expect(h.of('close')).toEqual([
      {
        e: 'close',
        reason: 'closed by the relay (1001 GoingAway: draining)',
        code: CloseCodes.GoingAway,
        retry: true,
      },
    ])
    expect(h.of('error')).toEqual([])
    expect(t.state).toBe('closed')
    expect(t.lastClose).toMatchObject({ code: CloseCodes.GoingAway, retry: true })
    const h2 = await open(t)
    expect(relay.conns).toHaveLength(2)
    expect(h2.events).toEqual([{ e: 'open', relay: 'scripted' }])
    expect(h.events.filter((e) => e.e === 'open')).toHaveLength(1)
  })

  it('a 1000 close from the relay side (a proxy) counts as retry', async () => {
    const relay = await ScriptedRelay.start()
    const t = transport(relay)
    const h = await open(t)
    relay.conns[0]!.socket.close(CloseCodes.Normal, 'bye')
    await until(() => h.of('close').length === 1, 'close')
    expect(h.of('close')[0]).toMatchObject({ code: CloseCodes.Normal, retry: true })
    expect(t.lastClose).toMatchObject({ code: CloseCodes.Normal, retry: true })
  })

  it('disconnect() closes with 1000, reports onClose once and clears every timer', async () => {
    const relay = await ScriptedRelay.start()
    const created = new Set<unknown>()
    const cleared = new Set<unknown>()
    const marks = new Set([20, 7_777])
    const setT = vi.spyOn(globalThis, 'setTimeout')
    const setI = vi.spyOn(globalThis, 'setInterval')
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation((h) => {
      cleared.add(h)
      realClearTimeout(h)
    })
    vi.spyOn(globalThis, 'clearInterval').mockImplementation((h) => {
      cleared.add(h)
      realClearInterval(h)
    })
    try {
      const t = transport(relay, { pingIntervalMs: 20, handshakeTimeoutMs: 7_777 })
      const h = await open(t)
      for (const spy of [setT, setI]) {
        spy.mock.calls.forEach((call, i) => {
          if (marks.has(Number(call[1]))) created.add(spy.mock.results[i]?.value)
        })
      }
      expect(created.size).toBe(2) // the handshake timeout and the keepalive interval
      t.disconnect()
      for (const handle of created) expect(cleared.has(handle)).toBe(true)
      expect(h.of('close')).toEqual([
        { e: 'close', reason: 'disconnected', code: 1000, retry: false },
      ])
      expect(t.lastClose).toEqual({ code: 1000, reason: 'disconnected', retry: false })
      expect(t.state).toBe('closed')
      const conn = relay.conns[0]!
      await until(() => conn.closed !== undefined, 'close at the relay')
      expect(conn.closed?.code).toBe(CloseCodes.Normal)
      const pings = conn.received.filter((m) => m.type === MessageTypes.Ping).length
      await sleep(80)
      expect(conn.received.filter((m) => m.type === MessageTypes.Ping).length).toBe(pings)
      t.disconnect()
      expect(h.of('close')).toHaveLength(1)
    } finally {
      vi.restoreAllMocks()
    }
  })

  it('disconnect() while connecting reports onClose once and leaves nothing behind', async () => {
    const relay = await ScriptedRelay.start()
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const t = transport(relay)
    const h = recorder()
    t.connect(h)
    t.subscribe([{ docId: 'u/a' as DocId, stateVector: sv() }])
    t.disconnect()
    expect(timers()).toBe(before)
    await sleep(50)
    expect(h.events).toEqual([{ e: 'close', reason: 'disconnected', code: 1000, retry: false }])
    expect(
      relay.conns.every((c) => !c.received.some((m) => m.type === MessageTypes.Subscribe)),
    ).toBe(true)
  })
})

describe('WebSocketTransport: caught up and awareness', () => {
  it('reports onCaughtUp once the last SYNCED frame of an answer arrived, naming every document', async () => {
    const [a, b, c] = docIds(3) as [DocId, DocId, DocId]
    const relay = await ScriptedRelay.start({
      onMessage: (conn, msg) => {
        if (msg.type !== MessageTypes.Subscribe) return false
        // Answered in two frames; `c` did not change (a resumed subscription) and gets no entry.
        const entry = (docId: DocId) => ({
          docId,
          update: Y.encodeStateAsUpdate(relay.doc(docId)),
          stateVector: Y.encodeStateVector(relay.doc(docId)),
        })
        conn.send({ type: MessageTypes.Synced, docs: [entry(a)], epoch: 'e1', seq: 3, more: true })
        setTimeout(() => {
          conn.send({
            type: MessageTypes.Synced,
            docs: [entry(b)],
            epoch: 'e1',
            seq: 3,
            more: false,
          })
        }, 30)
        return true
      },
    })
    const t = transport(relay)
    const h = await open(t)
    t.subscribe([a, b, c].map((docId) => ({ docId, stateVector: sv() })))
    await until(() => h.of('synced').length === 1, 'first frame')
    await sleep(10)
    expect(h.of('caughtUp')).toEqual([])
    await until(() => h.of('caughtUp').length === 1, 'caught up')
    expect(h.events.map((e) => e.e)).toEqual(['open', 'synced', 'synced', 'caughtUp'])
    expect(h.of('caughtUp')[0]?.docIds).toEqual([a, b, c])
  })

  it('resumed documents without changes get no onSynced, but onCaughtUp names them', async () => {
    const relay = await ScriptedRelay.start({
      onMessage: (conn, msg) => {
        const resumes =
          (msg.type === MessageTypes.Subscribe || msg.type === MessageTypes.SubscribeSet) &&
          msg.resume !== undefined
        if (!resumes) return false
        conn.send({ type: MessageTypes.Synced, docs: [], epoch: 'e1', seq: relay.seq, more: false })
        return true
      },
    })
    const t = transport(relay, { resume: true })
    const [a, b] = docIds(2) as [DocId, DocId]
    const h = await open(t)
    t.subscribe([a, b].map((docId) => ({ docId, stateVector: sv() })))
    await until(() => h.of('caughtUp').length === 1, 'first caught up')
    t.disconnect()
    const h2 = await open(t)
    t.subscribe([a, b].map((docId) => ({ docId, stateVector: sv() })))
    await until(() => h2.of('caughtUp').length === 1, 'caught up on resume')
    expect(h2.of('synced')).toEqual([])
    expect(h2.of('caughtUp')[0]?.docIds).toEqual([a, b])
  })

  it('relays AWARENESS both ways; queued while connecting; too large is reported, not sent', async () => {
    const relay = await ScriptedRelay.start({ limits: { maxFrameBytes: 200 } })
    const t = transport(relay)
    const h = recorder()
    t.connect(h)
    const docId = 'r/room' as DocId
    t.sendAwareness(docId, new Uint8Array([1, 2, 3]))
    await until(() => h.of('open').length === 1, 'open')
    const conn = relay.conns[0]!
    await until(() => conn.received.some((m) => m.type === MessageTypes.Awareness), 'awareness')
    expect(conn.received.find((m) => m.type === MessageTypes.Awareness)).toEqual({
      type: MessageTypes.Awareness,
      docId,
      payload: new Uint8Array([1, 2, 3]),
    })
    conn.send({ type: MessageTypes.Awareness, docId, payload: new Uint8Array([9]) })
    await until(() => h.of('awareness').length === 1, 'awareness at the client')
    expect(h.of('awareness')[0]).toEqual({ e: 'awareness', docId, payload: new Uint8Array([9]) })
    t.sendAwareness(docId, new Uint8Array(500))
    expect(h.of('error')).toEqual([
      { e: 'error', error: expect.objectContaining({ code: 'too-large', docId }) },
    ])
    expect(h.of('error')[0]?.error.ref).toBeUndefined()
    await sleep(20)
    expect(conn.received.filter((m) => m.type === MessageTypes.Awareness)).toHaveLength(1)
  })
})

describe('WebSocketTransport: resume', () => {
  it('resubscribes documents current at the last complete sync with resume, others without', async () => {
    const relay = await ScriptedRelay.start()
    relay.seq = 5
    const t = transport(relay, { resume: true })
    const h = await open(t)
    const [a, b, c] = docIds(3) as [DocId, DocId, DocId]
    t.subscribe([a, b].map((docId) => ({ docId, stateVector: sv() })))
    await until(() => h.of('synced').length === 2, 'synced')
    expect(t.resumePoint).toEqual({ epoch: 'e1', seq: 5 })
    t.unsubscribe([b])
    await until(
      () => relay.conns[0]!.received.some((m) => m.type === MessageTypes.Unsubscribe),
      'unsub',
    )
    t.disconnect()
    relay.seq = 9
    const h2 = await open(t)
    t.subscribe([a, b, c].map((docId) => ({ docId, stateVector: sv() })))
    await until(() => h2.of('caughtUp').length === 2, 'caught up again')
    expect(h2.of('synced').map((e) => e.docId)).toEqual([b, c])
    const subs = relay.conns[1]!.received.filter(
      (m): m is SubscribeMessage => m.type === MessageTypes.Subscribe,
    )
    expect(subs.map((m) => [m.subscriptions.map((s) => s.docId), m.resume])).toEqual([
      [[b, c], undefined],
    ])
    // the resumed document goes as a set (no base known yet: in full, without state vectors)
    const sets = relay.conns[1]!.received.filter(
      (m): m is SubscribeSetMessage => m.type === MessageTypes.SubscribeSet,
    )
    expect(sets).toEqual([
      {
        type: MessageTypes.SubscribeSet,
        setId: subscriptionSetId([a]),
        add: [{ docId: a, stateVector: new Uint8Array(0) }],
        remove: [],
        resume: { epoch: 'e1', seq: 5 },
      },
    ])
    expect(t.resumePoint).toEqual({ epoch: 'e1', seq: 9 })
  })

  it('resumes a set the relay answered by its id; unknown-set and bad-set fall back, unseen by the handler', async () => {
    let refuse = ''
    const script: ScriptOptions = {
      onMessage: (conn, msg) => {
        if (msg.type !== MessageTypes.SubscribeSet || refuse === '') return false
        const code = refuse
        refuse = ''
        conn.send({ type: MessageTypes.Error, code, rule: '', docId: '', ref: 0, message: code })
        return true
      },
    }
    const relay = await ScriptedRelay.start(script)
    relay.seq = 4
    const t = transport(relay, { resume: true })
    const ids = docIds(12)
    const all = () => ids.map((docId) => ({ docId, stateVector: sv() }))
    const session = async (conn: number) => {
      const h = await open(t)
      t.subscribe(all())
      await until(() => h.of('caughtUp').length >= 1, 'caught up')
      await sleep(20)
      t.disconnect()
      const received = relay.conns[conn]!.received
      return { h, received }
    }
    // a first subscription of 12 documents registers its set
    const first = await session(0)
    const setId = subscriptionSetId(ids)
    expect(first.received.find((m) => m.type === MessageTypes.SubscribeSet)).toMatchObject({
      setId,
      remove: [],
    })
    // resumed by its id alone
    const second = await session(1)
    const sent = second.received.filter((m) => m.type === MessageTypes.SubscribeSet)
    expect(sent).toEqual([
      {
        type: MessageTypes.SubscribeSet,
        setId,
        base: setId,
        add: [],
        remove: [],
        resume: { epoch: 'e1', seq: 4 },
      },
    ])
    expect(encodeMessage(sent[0]!).length).toBeLessThan(60)
    expect(second.h.of('synced')).toEqual([])
    expect(second.h.of('caughtUp')[0]?.docIds).toEqual(ids)
    // the relay forgot it: the whole list follows, the handler sees no error
    refuse = 'unknown-set'
    const third = await session(2)
    const resent = third.received.filter(
      (m): m is SubscribeSetMessage => m.type === MessageTypes.SubscribeSet,
    )
    expect(resent.map((m) => [m.base === undefined, m.add.length])).toEqual([
      [false, 0],
      [true, 12],
    ])
    expect(third.h.of('error')).toEqual([])
    expect(third.h.of('caughtUp').flatMap((e) => e.docIds)).toEqual(ids)
    // a relay that disagrees on the set: plain SUBSCRIBE with the resume point, sets off
    refuse = 'bad-set'
    const fourth = await session(3)
    expect(fourth.h.of('error')).toEqual([])
    const plain = fourth.received.filter(
      (m): m is SubscribeMessage => m.type === MessageTypes.Subscribe,
    )
    expect(plain.map((m) => [m.subscriptions.length, m.resume])).toEqual([
      [12, { epoch: 'e1', seq: 4 }],
    ])
    const fifth = await session(4)
    expect(fifth.received.filter((m) => m.type === MessageTypes.SubscribeSet)).toEqual([])
  })

  it('does not resume with a relay of another epoch (restored or replaced)', async () => {
    const script: ScriptOptions = { epoch: 'e2' }
    const relay = await ScriptedRelay.start(script)
    const t = transport(relay, { resume: true })
    const h = await open(t)
    t.subscribe([{ docId: 'u/a' as DocId, stateVector: sv() }])
    await until(() => h.of('synced').length === 1, 'synced')
    expect(t.resumePoint).toEqual({ epoch: 'e2', seq: 0 })
    t.disconnect()
    script.epoch = 'e3'
    const h2 = await open(t)
    t.subscribe([{ docId: 'u/a' as DocId, stateVector: sv() }])
    await until(() => h2.of('synced').length === 1, 'synced again')
    const sub = relay.conns[1]!.received.find(
      (m): m is SubscribeMessage => m.type === MessageTypes.Subscribe,
    )
    expect(sub?.subscriptions.map((s) => s.docId)).toEqual(['u/a'])
    expect(sub?.resume).toBeUndefined()
    expect(t.resumePoint).toEqual({ epoch: 'e3', seq: 0 })
  })
})

describe('WebSocketTransport: FeedClients through a scripted relay', () => {
  it('a relay that refuses the key is given up for good; the client uses the next one', async () => {
    const refusing = await ScriptedRelay.start({ name: 'refusing', rejectAuth: true })
    const good = await ScriptedRelay.start({ name: 'good' })
    const identity = Identity.generate()
    const c = await FeedClient.open({
      identity,
      transports: [transport(refusing, { identity }), transport(good, { identity })],
      verifier: new RecordVerifier(),
      backoff: { baseMs: 10, maxMs: 50, preferredRetryMs: 30 },
    })
    clients.push(c)
    const status = c.syncStatus()
    await until(() => status.current.online, 'online')
    expect(status.current).toMatchObject({
      relay: 'good',
      failedRelays: [refusing.url],
      lastError: { code: 'auth-failed' },
    })
    await sleep(150) // several probe periods: the refusing relay is not tried again
    expect(refusing.conns).toHaveLength(1)
    expect(status.current.relay).toBe('good')
    await c.whenSynced({ timeoutMs: 2_000 })
  })

  it('two clients converge: a post, a follow and a comment; acks empty the outboxes', async () => {
    const relay = await ScriptedRelay.start({ name: 'fwd' })
    const make = async () => {
      const identity = Identity.generate()
      const c = await FeedClient.open({
        identity,
        transports: [transport(relay, { identity })],
        verifier: new RecordVerifier(),
        backoff: { baseMs: 10, maxMs: 50 },
      })
      clients.push(c)
      return c
    }
    const a = await make()
    const b = await make()
    const aStatus = a.syncStatus()
    await until(() => aStatus.current.online, 'a online')
    expect(aStatus.current.relay).toBe('fwd')
    const ref = await a.post('over websockets')
    const bTimeline = b.timeline()
    await b.follow(a.userId)
    await until(() => bTimeline.current.posts.length === 1, "a's post at b")
    expect(bTimeline.current.posts[0]?.text).toBe('over websockets')
    const aThread = a.thread(ref)
    await b.comment(ref, 'hello back')
    await until(() => aThread.current.comments.length === 1, "b's comment at a")
    expect(aThread.current.comments[0]?.text).toBe('hello back')
    const aFollowers = a.followers(a.userId)
    await until(() => aFollowers.current.length === 1, "b's follower edge at a")
    await until(() => aStatus.current.pending === 0 && b.syncStatus().current.pending === 0, 'acks')
    expect(a.stats().droppedRecords).toBe(0)
    expect(b.stats().droppedRecords).toBe(0)
  })
})
