/**
 * The protocol's edges on a real relay process: what must come first, bad
 * versions and roles, bad signatures, text frames, oversized frames,
 * unknown message types, the HELLO timeout, ping/pong and awareness relay.
 * Each ends in an ERROR frame and/or the close code of core's CloseCodes.
 */
import {
  authPayload,
  CloseCodes,
  encodeMessage,
  Identity,
  MessageTypes,
  PROTOCOL_VERSION,
  Roles,
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
    // the relay is fine
    expect((await relay.get('/healthz')).status).toBe(200)
  })

  it('keeps the connection on unknown types and misplaced messages; relays awareness; pongs', async () => {
    const relay = await spawnRelay()
    const a = await RawClient.open(relay.url, alice)
    const welcome = a.relayHello
    expect(welcome).toMatchObject({ role: 'relay', relayId: relay.publicKey, epoch: relay.epoch })
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
    await a.ping(42)

    const b = await RawClient.open(relay.url)
    await b.subscribe([{ docId: thread, stateVector: Y.encodeStateVector(new Y.Doc()) }])
    a.send({ type: MessageTypes.Awareness, docId: thread, payload: Uint8Array.of(1, 2, 3) })
    const presence = await b.next(MessageTypes.Awareness)
    expect(presence).toMatchObject({ docId: thread, payload: Uint8Array.of(1, 2, 3) })
    b.send({ type: MessageTypes.Awareness, docId: 'u/x', payload: Uint8Array.of(1) })
    expect(await b.next(MessageTypes.Error)).toMatchObject({ code: 'not-subscribed' })
    await b.ping()
    expect(a.undecodable).toEqual([])
    expect(b.undecodable).toEqual([])
  })
})
