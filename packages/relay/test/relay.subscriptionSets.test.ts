/**
 * Content-addressed subscription sets: a client resumes 500 documents with
 * one `SUBSCRIBE_SET` of a few dozen bytes; only changed documents are
 * answered, with what changed; an unknown base (relay restarted, set
 * evicted) is `unknown-set` and the transport falls back to the whole
 * list; a set that does not hash to its id, names a bad document id or
 * exceeds the document limit is `bad-set`; a set nobody named for the idle
 * time is forgotten. The LRU bounds are unit-tested.
 */
import {
  type DocId,
  encodeMessage,
  Identity,
  MessageTypes,
  type SubscribeSetMessage,
  type SyncedMessage,
  subscriptionSetId,
  type TransportHandler,
  threadDocId,
  WebSocketTransport,
} from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { SubscriptionSets } from '../src/SubscriptionSets.js'
import { RawClient } from './helpers/RawClient.js'
import { liveIds, write } from './helpers/records.js'
import { killAllRelays, spawnRelay, tempDir } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const alice = Identity.generate()
const N = 500
const docIds = Array.from({ length: N }, (_, i) => threadDocId(alice.userId, `s${i}`))
const none = new Uint8Array(0)

async function fill(client: RawClient, ids: readonly DocId[]): Promise<void> {
  const refs = ids.map((docId, i) =>
    client.update(
      docId,
      write(new Y.Doc(), docId, alice, [{ type: 'comment', id: 'c', body: { text: `n${i}` } }])
        .update,
    ),
  )
  const results = await Promise.all(refs.map((ref) => client.result(ref, 30_000)))
  expect(results.every((r) => r.ok)).toBe(true)
}

async function answer(client: RawClient, msg: SubscribeSetMessage): Promise<SyncedMessage[]> {
  client.send(msg)
  const frames: SyncedMessage[] = []
  for (;;) {
    const synced = await client.next(MessageTypes.Synced)
    frames.push(synced)
    if (!synced.more) return frames
  }
}

/** A transport handler that records what it is told. */
function recorder() {
  const synced = new Map<DocId, Uint8Array[]>()
  const caughtUp: DocId[] = []
  const errors: string[] = []
  let opened = 0
  const handler: TransportHandler = {
    onOpen: () => {
      opened++
    },
    onClose: () => undefined,
    onSynced: (docId, update) => synced.set(docId, [...(synced.get(docId) ?? []), update]),
    onCaughtUp: (ids) => caughtUp.push(...ids),
    onUpdate: () => undefined,
    onAck: () => undefined,
    onError: (error) => errors.push(error.code),
    onAwareness: () => undefined,
  }
  return { handler, synced, caughtUp, errors, opened: () => opened }
}

/** A `ws` WebSocket that records every frame it sends. */
function sendingSpy(sent: Uint8Array[]) {
  return class SpyWebSocket extends WebSocket {
    constructor(url: string) {
      super(url)
      const send = this.send.bind(this)
      this.send = ((data: Parameters<WebSocket['send']>[0]) => {
        if (data instanceof Uint8Array) sent.push(new Uint8Array(data))
        send(data)
      }) as WebSocket['send']
    }
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('relay: subscription sets', () => {
  it('resumes a known set in one small frame and answers only what changed', async () => {
    const relay = await spawnRelay()
    const writer = await RawClient.open(relay.url, alice)
    await fill(writer, docIds)
    const setId = subscriptionSetId(docIds)
    const first = await RawClient.open(relay.url)
    const full = await answer(first, {
      type: MessageTypes.SubscribeSet,
      setId,
      add: docIds.map((docId) => ({ docId, stateVector: none })),
      remove: [],
    })
    expect(full.flatMap((f) => f.docs)).toHaveLength(N)
    const resume = { epoch: full.at(-1)!.epoch, seq: full.at(-1)!.seq }

    // nothing changed: the set by its id, an empty answer
    const same: SubscribeSetMessage = {
      type: MessageTypes.SubscribeSet,
      setId,
      base: setId,
      add: [],
      remove: [],
      resume,
    }
    expect(encodeMessage(same).length).toBeLessThan(100)
    const quiet = await RawClient.open(relay.url)
    const empty = await answer(quiet, same)
    expect(empty).toHaveLength(1)
    expect(empty[0]!.docs).toEqual([])

    // one document changes: answered alone, with the change, not the whole document
    const changed = docIds[7]!
    const before = new Y.Doc()
    Y.applyUpdate(before, full[0]!.docs.find((d) => d.docId === changed)!.update)
    const heldVector = Y.encodeStateVector(before)
    const edit = write(before, changed, alice, [{ type: 'comment', id: 'c2', body: { text: 'x' } }])
    expect(await writer.write(changed, edit.update)).toEqual({ ok: true })
    const later = await RawClient.open(relay.url)
    const one = await answer(later, same)
    expect(one[0]!.docs.map((d) => d.docId)).toEqual([changed])
    const delta = one[0]!.docs[0]!.update
    // exactly what the client misses, as a state-vector exchange would have computed it
    expect(delta).toEqual(Y.encodeStateAsUpdate(before, heldVector))
    expect(delta.length).toBeLessThan(Y.encodeStateAsUpdate(before).length)
    const held = new Y.Doc()
    Y.applyUpdate(held, full[0]!.docs.find((d) => d.docId === changed)!.update)
    Y.applyUpdate(held, delta)
    expect(liveIds(held)).toEqual(new Set([`${alice.userId}/c`, `${alice.userId}/c2`]))

    // a change to the set: its base, minus one document, plus one
    const extra = threadDocId(alice.userId, 'extra')
    await fill(writer, [extra])
    const next = [...docIds.slice(1), extra]
    const delta2 = await answer(later, {
      type: MessageTypes.SubscribeSet,
      setId: subscriptionSetId(next),
      base: setId,
      add: [{ docId: extra, stateVector: none }],
      remove: [docIds[0]!],
    })
    expect(delta2.flatMap((f) => f.docs)).toHaveLength(N)
    // the new set is remembered
    const again = await answer(await RawClient.open(relay.url), {
      type: MessageTypes.SubscribeSet,
      setId: subscriptionSetId(next),
      base: subscriptionSetId(next),
      add: [],
      remove: [],
      resume: { epoch: resume.epoch, seq: delta2.at(-1)!.seq },
    })
    expect(again[0]!.docs).toEqual([])
  })

  it('refuses unknown bases, wrong hashes, bad ids and sets over the document limit', async () => {
    const relay = await spawnRelay({ args: ['--max-docs', '20'] })
    const client = await RawClient.open(relay.url)
    const ids = docIds.slice(0, 10)
    const unknown = subscriptionSetId(['nothing'])
    client.send({
      type: MessageTypes.SubscribeSet,
      setId: unknown,
      base: unknown,
      add: [],
      remove: [],
    })
    expect(await client.next(MessageTypes.Error)).toMatchObject({ code: 'unknown-set', docId: '' })
    const add = ids.map((docId) => ({ docId, stateVector: none }))
    client.send({ type: MessageTypes.SubscribeSet, setId: unknown, add, remove: [] })
    expect(await client.next(MessageTypes.Error)).toMatchObject({ code: 'bad-set' })
    const bad = [...ids, 'not a doc id']
    client.send({
      type: MessageTypes.SubscribeSet,
      setId: subscriptionSetId(bad),
      add: bad.map((docId) => ({ docId, stateVector: none })),
      remove: [],
    })
    expect(await client.next(MessageTypes.Error)).toMatchObject({ code: 'bad-set' })
    const many = docIds.slice(0, 21)
    client.send({
      type: MessageTypes.SubscribeSet,
      setId: subscriptionSetId(many),
      add: many.map((docId) => ({ docId, stateVector: none })),
      remove: [],
    })
    expect(await client.next(MessageTypes.Error)).toMatchObject({ code: 'bad-set' })
    // none of them subscribed anything; a good set still works on the same connection
    const ok = await answer(client, {
      type: MessageTypes.SubscribeSet,
      setId: subscriptionSetId(ids),
      add,
      remove: [],
    })
    expect(ok.flatMap((f) => f.docs)).toHaveLength(10)
    expect(client.inbox.filter((m) => m.type === MessageTypes.Synced)).toEqual([])
  })

  it('forgets a set nobody named for --subscription-set-idle-ms: a later resume is unknown-set', async () => {
    const relay = await spawnRelay({
      args: ['--subscription-set-idle-ms', '1000', '--idle-unload-ms', '200'],
    })
    const ids = docIds.slice(0, 20)
    const setId = subscriptionSetId(ids)
    const first = await RawClient.open(relay.url)
    const full = await answer(first, {
      type: MessageTypes.SubscribeSet,
      setId,
      add: ids.map((docId) => ({ docId, stateVector: none })),
      remove: [],
    })
    const byId: SubscribeSetMessage = {
      type: MessageTypes.SubscribeSet,
      setId,
      base: setId,
      add: [],
      remove: [],
      resume: { epoch: full.at(-1)!.epoch, seq: full.at(-1)!.seq },
    }
    // named again within the idle time each time, longer than it in all: still known
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 400))
      expect((await answer(await RawClient.open(relay.url), byId))[0]!.docs).toEqual([])
    }
    await new Promise((resolve) => setTimeout(resolve, 1800))
    const late = await RawClient.open(relay.url)
    late.send(byId)
    expect(await late.next(MessageTypes.Error)).toMatchObject({ code: 'unknown-set' })
  })

  it('WebSocketTransport resumes 500 documents in one small frame, and falls back after a relay restart', async () => {
    const data = tempDir()
    let relay = await spawnRelay({ data })
    const writer = await RawClient.open(relay.url, alice)
    await fill(writer, docIds)
    const sent: Uint8Array[] = []
    const transport = new WebSocketTransport({
      url: relay.url,
      identity: Identity.generate(),
      WebSocket: sendingSpy(sent),
      resume: true,
    })
    const subscribeAll = () =>
      transport.subscribe(docIds.map((docId) => ({ docId, stateVector: none })))
    let r = recorder()
    transport.connect(r.handler)
    subscribeAll()
    await until(() => r.caughtUp.length === N, 'cold subscribe')
    expect(r.synced.size).toBe(N)
    transport.disconnect()

    // nothing changed: one SUBSCRIBE_SET of a few dozen bytes, no document answered
    sent.length = 0
    r = recorder()
    transport.connect(r.handler)
    subscribeAll()
    await until(() => r.caughtUp.length === N, 'resume')
    const subscribes = sent.filter((f) => f[0] === MessageTypes.SubscribeSet)
    expect(subscribes).toHaveLength(1)
    expect(subscribes[0]!.length).toBeLessThan(100)
    expect(sent.filter((f) => f[0] === MessageTypes.Subscribe)).toHaveLength(0)
    expect(r.synced.size).toBe(0)
    expect(r.errors).toEqual([])
    transport.disconnect()

    // a document changes while the client is away, then the relay restarts (forgetting sets)
    const changed = docIds[3]!
    const edit = write(new Y.Doc(), changed, alice, [
      { type: 'comment', id: 'late', body: { text: 'late' } },
    ])
    expect(await writer.write(changed, edit.update)).toEqual({ ok: true })
    await writer.close()
    const port = Number(new URL(relay.url).port)
    await relay.kill('SIGTERM')
    relay = await spawnRelay({ data, port })
    sent.length = 0
    r = recorder()
    transport.connect(r.handler)
    subscribeAll()
    await until(() => r.caughtUp.length === N, 'resume after restart')
    const frames = sent.filter((f) => f[0] === MessageTypes.SubscribeSet)
    expect(frames).toHaveLength(2) // the set by its id (unknown-set), then the whole list
    expect(frames[0]!.length).toBeLessThan(100)
    expect(frames[1]!.length).toBeGreaterThan(N * 40)
    expect(r.errors).toEqual([]) // the fallback is the transport's business
    expect([...r.synced.keys()]).toEqual([changed])
    const doc = new Y.Doc()
    for (const update of r.synced.get(changed)!) Y.applyUpdate(doc, update)
    expect(liveIds(doc).has(`${alice.userId}/late`)).toBe(true)
    transport.disconnect()

    // the relay knows the set again: the next resume is small
    sent.length = 0
    r = recorder()
    transport.connect(r.handler)
    subscribeAll()
    await until(() => r.caughtUp.length === N, 'resume after fallback')
    const last = sent.filter((f) => f[0] === MessageTypes.SubscribeSet)
    expect(last).toHaveLength(1)
    expect(last[0]!.length).toBeLessThan(100)
    transport.disconnect()
  })
})

describe('SubscriptionSets', () => {
  const ids = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => threadDocId(alice.userId, `${tag}${i}`)).sort()

  it('evicts the least recently used set past its count', () => {
    const sets = new SubscriptionSets({ maxSets: 2 })
    const [a, b, c] = [ids(3, 'a'), ids(3, 'b'), ids(3, 'c')]
    sets.put(subscriptionSetId(a), a)
    sets.put(subscriptionSetId(b), b)
    expect(sets.get(subscriptionSetId(a))).toEqual(a) // a is now the most recent
    sets.put(subscriptionSetId(c), c)
    expect(sets.size).toBe(2)
    expect(sets.get(subscriptionSetId(b))).toBeUndefined()
    expect(sets.get(subscriptionSetId(a))).toEqual(a)
    expect(sets.get(subscriptionSetId(c))).toEqual(c)
  })

  it('evicts past its byte bound, and keeps no set larger than the bound', () => {
    const big = ids(100, 'big')
    const perSet = 16 + big.reduce((n, id) => n + id.length + 8, 0)
    const sets = new SubscriptionSets({ maxBytes: perSet * 2 })
    const other = ids(100, 'oth')
    const third = ids(100, 'thi')
    sets.put(subscriptionSetId(big), big)
    sets.put(subscriptionSetId(other), other)
    sets.put(subscriptionSetId(third), third)
    expect(sets.bytes).toBeLessThanOrEqual(perSet * 2)
    expect(sets.get(subscriptionSetId(big))).toBeUndefined()
    expect(sets.get(subscriptionSetId(third))).toEqual(third)
    const tiny = new SubscriptionSets({ maxBytes: 100 })
    tiny.put(subscriptionSetId(big), big)
    expect(tiny.size).toBe(0)
  })

  it('forgets a set nobody named for its idle time, keeping the ones named since', () => {
    const sets = new SubscriptionSets({ idleMs: 1000 })
    const [a, b, c] = [ids(3, 'a'), ids(3, 'b'), ids(3, 'c')]
    sets.put(subscriptionSetId(a), a, 0)
    sets.put(subscriptionSetId(b), b, 100)
    sets.put(subscriptionSetId(c), c, 200)
    expect(sets.get(subscriptionSetId(a), 900)).toEqual(a) // named again: idle from 900
    sets.sweep(1150)
    expect(sets.size).toBe(2)
    expect(sets.get(subscriptionSetId(b), 1150)).toBeUndefined()
    sets.sweep(1199)
    expect(sets.size).toBe(2)
    sets.sweep(1200)
    expect(sets.get(subscriptionSetId(c), 1200)).toBeUndefined()
    expect(sets.size).toBe(1)
    sets.sweep(1900)
    expect(sets.size).toBe(0)
    expect(sets.bytes).toBe(0)
    expect(() => new SubscriptionSets({ idleMs: 0 })).toThrow(RangeError)
  })
})
