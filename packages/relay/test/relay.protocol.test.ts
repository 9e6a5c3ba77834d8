/**
 * The protocol's edges on a real relay process: the handshake (the relay's
 * CHALLENGE first, HELLO + AUTH + SUBSCRIBE in one flight, nothing served
 * before AUTH), what must come first, bad versions and roles, bad
 * signatures, text frames, oversized frames, unknown message types, the
 * AUTH timeout, ping/pong and awareness relay. Each refusal ends in an
 * ERROR frame and/or the close code of core's CloseCodes.
 */
import {
  authPayload,
  CloseCodes,
  encodeMessage,
  Identity,
  type Message,
  MessageTypes,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  Roles,
  sortedSet,
  subscriptionSetId,
  threadDocId,
} from '@feedmesh/core'
import * as encoding from 'lib0/encoding'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RawClient } from './helpers/RawClient.js'
import { killAllRelays, spawnRelay } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const alice = Identity.generate()
const thread = threadDocId(alice.userId, 'p')

function helloOfVersion(version: number): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageTypes.Hello)
  encoding.writeVarString(e, 'feedmesh')
  encoding.writeVarUint(e, version)
  encoding.writeVarUint(e, 0)
  encoding.writeVarString(e, 'future')
  return encoding.toUint8Array(e)
}

/** Waits (bounded) for the socket to close; returns its close code. */
async function closeCode(client: RawClient): Promise<number> {
  const closed = await Promise.race([
    client.closed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no close')), 5000)),
  ])
  return closed.code
}

describe('relay: handshake', () => {
  it('sends its CHALLENGE first, unasked, with a nonce fresh per connection', async () => {
    const relay = await spawnRelay({ args: ['--max-batch', '77'] })
    const one = await RawClient.connect(relay.url)
    const two = await RawClient.connect(relay.url)
    const [a, b] = [await one.hello(), await two.next(MessageTypes.Challenge)]
    expect(a).toMatchObject({
      minVersion: MIN_PROTOCOL_VERSION,
      maxVersion: PROTOCOL_VERSION,
      relayId: relay.publicKey,
      epoch: relay.epoch,
      limits: expect.objectContaining({ maxBatch: 77 }),
    })
    expect(a.nonce).toHaveLength(32)
    expect(a.nonce).not.toEqual(b.nonce)
    expect(b.relayId).toBe(relay.publicKey)
    // the same limits as WELCOME's
    const welcome = await one.auth(Identity.generate())
    expect(welcome.limits).toEqual(a.limits)
    await one.close()
    await two.close()
  })

  it('answers HELLO + AUTH + SUBSCRIBE (or SUBSCRIBE_SET) sent in one flight with WELCOME, then SYNCED', async () => {
    const relay = await spawnRelay()
    for (const set of [false, true]) {
      const client = await RawClient.connect(relay.url)
      const challenge = await client.next(MessageTypes.Challenge)
      client.challenge = challenge
      const docs = [thread]
      const frames: Message[] = [
        { type: MessageTypes.Hello, version: PROTOCOL_VERSION, role: Roles.Client, name: 'x' },
        client.authMessage(alice),
        set
          ? {
              type: MessageTypes.SubscribeSet,
              setId: subscriptionSetId(sortedSet(docs)),
              add: docs.map((docId) => ({ docId, stateVector: new Uint8Array([0]) })),
              remove: [],
            }
          : {
              type: MessageTypes.Subscribe,
              subscriptions: docs.map((docId) => ({ docId, stateVector: new Uint8Array([0]) })),
            },
      ]
      // back to back, without waiting for anything
      for (const frame of frames) client.send(frame)
      await client.until(() => (client.inbox.length >= 2 ? true : undefined), 'two answers')
      expect(client.inbox.map((m) => m.type)).toEqual([MessageTypes.Welcome, MessageTypes.Synced])
      expect(client.inbox[1]).toMatchObject({ docs: [expect.objectContaining({ docId: thread })] })
      await client.close()
    }
  })

  it('answers nothing pipelined behind a failed AUTH, and nothing before AUTH at all', async () => {
    const relay = await spawnRelay()
    const subscribe: Message = {
      type: MessageTypes.Subscribe,
      subscriptions: [{ docId: thread, stateVector: new Uint8Array([0]) }],
    }
    // a bad signature, then a SUBSCRIBE: only the auth failure comes back
    const forger = await RawClient.connect(relay.url)
    await forger.hello()
    forger.send({ type: MessageTypes.Auth, publicKey: alice.userId, signature: new Uint8Array(64) })
    forger.send(subscribe)
    expect(await closeCode(forger)).toBe(CloseCodes.AuthFailed)
    expect(forger.inbox).toEqual([expect.objectContaining({ code: 'auth-failed' })])
    // no AUTH at all: SUBSCRIBE, PING, UPDATE each get the same answer
    const early: Message[] = [
      subscribe,
      { type: MessageTypes.Ping, nonce: 1 },
      { type: MessageTypes.Update, docId: thread, update: new Uint8Array(2), ref: 1 },
    ]
    for (const msg of early) {
      const anonymous = await RawClient.connect(relay.url)
      await anonymous.hello()
      anonymous.send(msg)
      expect(await closeCode(anonymous)).toBe(CloseCodes.AuthFailed)
      expect(anonymous.inbox).toEqual([
        expect.objectContaining({ type: MessageTypes.Error, code: 'unauthenticated' }),
      ])
      expect(anonymous.resultOf(1)).toBeUndefined()
    }
  })
})

describe('relay: protocol edges', () => {
  it('closes with the right code, after an ERROR frame', async () => {
    const relay = await spawnRelay({
      args: ['--max-frame-bytes', '65536', '--hello-timeout-ms', '500'],
    })
    const expectClose = async (client: RawClient, code: number, errorCode?: string) => {
      const closed = await Promise.race([
        client.closed,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no close')), 5000)),
      ])
      expect(closed.code).toBe(code)
      if (errorCode !== undefined) {
        expect(client.inbox.find((m) => m.type === MessageTypes.Error)).toMatchObject({
          code: errorCode,
        })
      }
    }
    // a message before HELLO
    const early = await RawClient.connect(relay.url)
    early.send({ type: MessageTypes.Ping, nonce: 1 })
    await expectClose(early, CloseCodes.ProtocolError, 'unexpected-message')
    // garbage before HELLO
    const garbage = await RawClient.connect(relay.url)
    garbage.sendRaw(Uint8Array.of(0, 0, 0))
    await expectClose(garbage, CloseCodes.ProtocolError, 'unknown-type')
    // another protocol version
    const future = await RawClient.connect(relay.url)
    future.sendRaw(helloOfVersion(PROTOCOL_VERSION + 1))
    await expectClose(future, CloseCodes.BadVersion, 'bad-version')
    // a peer relay: no trusted peers on this relay
    const peer = await RawClient.connect(relay.url)
    peer.send({
      type: MessageTypes.Hello,
      version: PROTOCOL_VERSION,
      role: Roles.Relay,
      name: 'peer',
      relayId: alice.userId,
      epoch: 'e',
      seq: 0,
    })
    await expectClose(peer, CloseCodes.UntrustedPeer, 'untrusted-peer')
    // a bad signature
    const forger = await RawClient.connect(relay.url)
    await forger.hello()
    forger.send({ type: MessageTypes.Auth, publicKey: alice.userId, signature: new Uint8Array(64) })
    await expectClose(forger, CloseCodes.AuthFailed, 'auth-failed')
    // a signature made for another relay
    const replay = await RawClient.connect(relay.url)
    await replay.hello()
    const other = Identity.generate()
    const payload = authPayload(new Uint8Array(32), other.userId, Roles.Client)
    replay.send({
      type: MessageTypes.Auth,
      publicKey: alice.userId,
      signature: alice.sign(payload),
    })
    await expectClose(replay, CloseCodes.AuthFailed)
    // a text frame
    const text = await RawClient.open(relay.url)
    text.socket.send('hello')
    await expectClose(text, CloseCodes.UnsupportedData)
    // a frame above the limit
    const big = await RawClient.open(relay.url, alice)
    big.sendRaw(new Uint8Array(70_000))
    await expectClose(big, CloseCodes.TooLarge)
    // a truncated frame after HELLO
    const truncated = await RawClient.open(relay.url, alice)
    const frame = encodeMessage({
      type: MessageTypes.Update,
      docId: thread,
      update: new Uint8Array(10),
      ref: 1,
    })
    truncated.sendRaw(frame.slice(0, frame.length - 4))
    await expectClose(truncated, CloseCodes.ProtocolError, 'truncated')
    // silence after connecting
    const silent = await RawClient.connect(relay.url)
    await expectClose(silent, CloseCodes.AuthTimeout)
    // HELLO, then no AUTH
    const mute = await RawClient.connect(relay.url)
    await mute.hello()
    await expectClose(mute, CloseCodes.AuthTimeout)
    // the relay is fine
    expect((await relay.get('/healthz')).status).toBe(200)
  })

  it('keeps the connection on unknown types and misplaced messages; relays awareness; pongs', async () => {
    const relay = await spawnRelay()
    const a = await RawClient.open(relay.url, alice)
    expect(a.challenge).toMatchObject({ relayId: relay.publicKey, epoch: relay.epoch })
    a.sendRaw(Uint8Array.of(99, 1, 2))
    expect(await a.next(MessageTypes.Error)).toMatchObject({ code: 'unknown-type' })
    a.send({ type: MessageTypes.Ack, docId: thread, refs: [1] })
    expect(await a.next(MessageTypes.Error)).toMatchObject({ code: 'unexpected-message' })
    a.send({ type: MessageTypes.Auth, publicKey: alice.userId, signature: new Uint8Array(64) })
    expect(await a.next(MessageTypes.Error)).toMatchObject({ code: 'unexpected-message' })
    a.send({
      type: MessageTypes.Subscribe,
      subscriptions: [{ docId: 'nope', stateVector: new Uint8Array([0]) }],
    })
    expect(await a.next(MessageTypes.Error)).toMatchObject({ code: 'bad-doc-id', docId: 'nope' })
    await a.next(MessageTypes.Synced)
    a.send({
      type: MessageTypes.Subscribe,
      subscriptions: [{ docId: thread, stateVector: Uint8Array.of(5, 5) }],
    })
    expect(await a.next(MessageTypes.Error)).toMatchObject({
      code: 'bad-state-vector',
      docId: thread,
    })
    await a.next(MessageTypes.Synced)
    a.send({ type: MessageTypes.Awareness, docId: thread, payload: Uint8Array.of(1) })
    expect(await a.next(MessageTypes.Error)).toMatchObject({ code: 'awareness-refused' })
    await a.ping(42)

    const b = await RawClient.open(relay.url)
    await b.subscribe([{ docId: thread, stateVector: Y.encodeStateVector(new Y.Doc()) }])
    // one awareness entry (client 7, clock 1) whose state is alice's own
    const state = encoding.createEncoder()
    encoding.writeVarUint(state, 1)
    encoding.writeVarUint(state, 7)
    encoding.writeVarUint(state, 1)
    encoding.writeVarString(state, JSON.stringify({ user: alice.userId }))
    const payload = encoding.toUint8Array(state)
    a.send({ type: MessageTypes.Awareness, docId: thread, payload })
    const presence = await b.next(MessageTypes.Awareness)
    expect(presence).toMatchObject({ docId: thread, payload })
    b.send({ type: MessageTypes.Awareness, docId: 'u/x', payload: Uint8Array.of(1) })
    expect(await b.next(MessageTypes.Error)).toMatchObject({ code: 'not-subscribed' })
    await b.ping()
    expect(a.undecodable).toEqual([])
    expect(b.undecodable).toEqual([])
  })
})
