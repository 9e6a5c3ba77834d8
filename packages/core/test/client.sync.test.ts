import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { FeedClient } from '../src/client/FeedClient.js'
import { newId } from '../src/client/ids.js'
import {
  type DocId,
  followersDocId,
  monthOf,
  postsDocId,
  roomDocId,
  threadDocId,
  userDocId,
} from '../src/docIds.js'
import { checkUpdate } from '../src/guard.js'
import { Identity } from '../src/Identity.js'
import { keyOfRecord, recordsOf, writeRecords } from '../src/recordMap.js'
import { RecordVerifier, type SignedRecord, signRecord } from '../src/records.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import { MemoryRelay } from '../src/transport/MemoryRelay.js'
import { MemoryTransport } from '../src/transport/MemoryTransport.js'
import { SimNetwork } from '../src/transport/SimNetwork.js'
import { injectWrite } from './helpers/clientFixtures.js'
import { FakeTransport, ManualTimers } from './helpers/fakeTransport.js'

const jan = Date.UTC(2026, 0, 10)
const clients: FeedClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

/** Runs the network and lets clients' async work finish until `cond` holds. */
async function until(net: SimNetwork, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await net.run()
    if (cond()) return
    await new Promise((r) => setTimeout(r, 2))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function client(
  net: SimNetwork,
  relays: MemoryRelay[],
  identity = Identity.generate(),
  storage = new MemoryStorage(),
): Promise<{ client: FeedClient; transports: MemoryTransport[]; storage: MemoryStorage }> {
  const transports = relays.map((relay) => new MemoryTransport({ network: net, relay, identity }))
  const c = await FeedClient.open({
    identity,
    storage,
    transports,
    now: () => jan,
    verifier: new RecordVerifier(),
    backoff: { baseMs: 2, maxMs: 10, preferredRetryMs: 20 },
  })
  clients.push(c)
  return { client: c, transports, storage }
}

describe('sync through a MemoryRelay', () => {
  it('two clients exchange posts, follows and comments; acks empty the outbox', async () => {
    const net = new SimNetwork({ seed: 7, auto: true })
    const relay = new MemoryRelay({ name: 'relay-a', network: net })
    const a = await client(net, [relay])
    const b = await client(net, [relay])
    const aStatus = a.client.syncStatus()
    await until(net, () => aStatus.current.online, 'a online')
    expect(aStatus.current.relay).toBe('relay-a')
    const ref = await a.client.post('from alice')
    const aFollowers = a.client.followers(a.client.userId)
    const bTimeline = b.client.timeline()
    await b.client.follow(a.client.userId)
    await until(net, () => bTimeline.current.posts.length === 1, "alice's post at bob")
    expect(bTimeline.current.posts[0]!.text).toBe('from alice')
    await until(net, () => aFollowers.current.length === 1, "bob's edge at alice")
    expect(aFollowers.current).toEqual([b.client.userId])
    const aThread = a.client.thread(ref)
    await b.client.comment(ref, 'hi alice')
    await until(net, () => aThread.current.comments.length === 1, "bob's comment at alice")
    await until(
      net,
      () => aStatus.current.pending === 0 && b.client.syncStatus().current.pending === 0,
      'acks',
    )
    expect(await a.storage.outbox()).toEqual([])
    expect(await b.storage.outbox()).toEqual([])
    expect(aStatus.current.lastAckAt).toBe(jan)
    expect(a.client.stats().droppedRecords).toBe(0)
    expect(b.client.stats().droppedRecords).toBe(0)
  })

  it('keeps outbox entries until the relay acknowledges them as durable', async () => {
    const net = new SimNetwork({ seed: 8, auto: true })
    let hold: Promise<void> | null = null
    let release: () => void = () => undefined
    const relay = new MemoryRelay({
      name: 'slow',
      network: net,
      store: () => hold ?? Promise.resolve(),
    })
    const a = await client(net, [relay])
    const status = a.client.syncStatus()
    await until(net, () => status.current.online, 'online')
    hold = new Promise((r) => {
      release = r
    })
    await a.client.post('held')
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 2))
    expect(status.current.pending).toBe(2) // the post and its bucket record
    expect(await a.storage.outbox()).toHaveLength(2)
    hold = null
    release()
    await until(net, () => status.current.pending === 0, 'acks after release')
    expect(await a.storage.outbox()).toEqual([])
  })

  it('writes made offline are sent after a restart and a reconnect', async () => {
    const net = new SimNetwork({ seed: 9, auto: true })
    const relay = new MemoryRelay({ name: 'r', network: net })
    const identity = Identity.generate()
    const storage = new MemoryStorage()
    const offline = await FeedClient.open({ identity, storage, now: () => jan })
    const ref = await offline.post('written offline')
    expect(offline.syncStatus().current).toMatchObject({ online: false, pending: 2 })
    await offline.close()
    const online = await client(net, [relay], identity, storage)
    const status = online.client.syncStatus()
    await until(net, () => status.current.pending === 0, 'outbox flushed')
    const reader = await client(net, [relay])
    const thread = reader.client.thread(ref)
    await until(net, () => thread.current.post !== null, 'post at another client')
    expect(thread.current.post?.text).toBe('written offline')
  })

  it('drops an outbox entry the guard refuses, and counts it', async () => {
    const net = new SimNetwork({ seed: 10, auto: true })
    const relay = new MemoryRelay({ name: 'r', network: net })
    const a = await client(net, [relay])
    const b = await client(net, [relay])
    const ref = await a.client.post('no trolls')
    await a.client.block(b.client.userId)
    const aStatus = a.client.syncStatus()
    await until(net, () => aStatus.current.pending === 0, 'alice synced')
    const bStatus = b.client.syncStatus()
    await b.client.comment(ref, 'troll')
    await until(net, () => bStatus.current.refused === 1, 'refusal')
    expect(bStatus.current.pending).toBe(0)
    expect(bStatus.current.lastError).toMatchObject({ code: 'refused' })
    expect(await b.storage.outbox()).toEqual([])
  })

  it('fails over to the next relay when the link is cut, and comes back to the preferred one', async () => {
    const net = new SimNetwork({ seed: 11, auto: true })
    const r1 = new MemoryRelay({ name: 'one', network: net })
    const r2 = new MemoryRelay({ name: 'two', network: net })
    r1.peer(r2)
    const a = await client(net, [r1, r2])
    const status = a.client.syncStatus()
    await until(net, () => status.current.relay === 'one', 'on relay one')
    net.cut(a.transports[0]!.link)
    await until(net, () => status.current.relay === 'two', 'failed over to two')
    await a.client.post('via two')
    await until(net, () => status.current.pending === 0, 'acked by two')
    net.restore(a.transports[0]!.link)
    await until(net, () => status.current.relay === 'one', 'back on one')
    await until(net, () => r1.doc(userDocId(a.client.userId)) !== undefined, 'r1 has the data')
  })
})

describe('SyncEngine with a fake transport', () => {
  it('subscribes open documents while connecting (one round trip less), then only what changed meanwhile', async () => {
    const t1 = new FakeTransport('one')
    const timers = new ManualTimers()
    const identity = Identity.generate()
    const c = await FeedClient.open({
      identity,
      transports: [t1],
      now: () => jan,
      timers,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 1000, preferredRetryMs: 5000 },
    })
    clients.push(c)
    const other = Identity.generate().userId
    const kept = c.profile(identity.userId)
    const dropped = c.profile(other)
    await Promise.all([kept.ready, dropped.ready])
    t1.open()
    t1.drop()
    const before = t1.subscribed.length
    timers.fireAll()
    expect(t1.connects).toBe(2)
    // Sent while connecting: the transport puts it right behind the handshake.
    expect(t1.subscribed).toHaveLength(before + 1)
    expect(
      t1.subscribed
        .at(-1)!
        .map((s) => s.docId)
        .sort(),
    ).toEqual([identity.userId, other].flatMap((u) => [userDocId(u), followersDocId(u)]).sort())
    // One document closes and another opens before the connection is up.
    dropped.close()
    const third = Identity.generate().userId
    const late = c.profile(third)
    await late.ready
    t1.open()
    expect(t1.subscribed).toHaveLength(before + 2)
    expect(
      t1.subscribed
        .at(-1)!
        .map((s) => s.docId)
        .sort(),
    ).toEqual([userDocId(third), followersDocId(third)].sort())
    expect(t1.unsubscribed.at(-1)!.sort()).toEqual([userDocId(other), followersDocId(other)].sort())
    await c.close()
  })

  it('batch-subscribes open documents, resends the outbox on reconnect, backs off with jitter, fails over and returns', async () => {
    const t1 = new FakeTransport('one')
    const t2 = new FakeTransport('two')
    const timers = new ManualTimers()
    const identity = Identity.generate()
    const c = await FeedClient.open({
      identity,
      transports: [t1, t2],
      now: () => jan,
      timers,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 1000, preferredRetryMs: 5000 },
    })
    clients.push(c)
    const timeline = c.timeline()
    await timeline.ready
    const ref = await c.post('one')
    expect(t1.connects).toBe(1)
    t1.open()
    expect(t1.subscribed).toHaveLength(1)
    expect(t1.subscribed[0]!.map((s) => s.docId).sort()).toEqual(
      [
        postsDocId(identity.userId, monthOf(jan)),
        threadDocId(identity.userId, ref.postId),
        userDocId(identity.userId),
      ].sort(),
    )
    await new Promise((r) => setTimeout(r, 5))
    expect(t1.sent.map((s) => s.ref)).toEqual([1, 2])
    t1.handler?.onAck(t1.sent[0]!.docId, 1)
    await new Promise((r) => setTimeout(r, 5))
    expect(c.syncStatus().current.pending).toBe(1)
    // A non-refusal error keeps the entry.
    t1.handler?.onError({ code: 'bad-frame', ref: 2, message: 'hm' })
    await new Promise((r) => setTimeout(r, 5))
    expect(c.syncStatus().current).toMatchObject({ pending: 1, lastError: { code: 'bad-frame' } })
    t1.drop()
    expect(c.syncStatus().current.online).toBe(false)
    expect(timers.fireAll()).toEqual([75]) // 100 * (0.5 + 0.5 * 0.5)
    expect(t2.connects).toBe(1)
    t2.drop()
    expect(timers.fireAll()).toEqual([150]) // doubled
    expect(t1.connects).toBe(2)
    t1.drop()
    timers.fireAll()
    t2.open()
    expect(c.syncStatus().current).toMatchObject({ online: true, relay: 'two' })
    await new Promise((r) => setTimeout(r, 5))
    expect(t2.sent.map((s) => s.ref)).toEqual([2]) // only the unacknowledged entry
    // The probe of the preferred relay.
    expect([...timers.pending.values()].map((p) => p.ms)).toEqual([5000])
    timers.fireAll()
    expect(t1.connects).toBe(3)
    t1.open()
    expect(t2.state).toBe('closed')
    expect(c.syncStatus().current.relay).toBe('one')
    await new Promise((r) => setTimeout(r, 5))
    expect(t1.sent.map((s) => s.ref)).toEqual([1, 2, 2])
    t1.handler?.onError({ code: 'refused', rule: 'not-owner', ref: 2, message: 'no' })
    await new Promise((r) => setTimeout(r, 5))
    expect(c.syncStatus().current).toMatchObject({ pending: 0, refused: 1 })
    // A document opened later is subscribed on its own; a local write is sent at once.
    const profile = c.profile(Identity.generate().userId)
    await profile.ready
    expect(t1.subscribed.at(-1)!.map((s) => s.docId)).toHaveLength(1)
    await c.setProfile({ name: 'me' })
    await new Promise((r) => setTimeout(r, 5))
    expect(t1.sent.at(-1)!.docId).toBe(userDocId(identity.userId))
    t1.drop()
    expect(timers.pending.size).toBe(1)
    await c.close()
    expect(timers.pending.size).toBe(0)
  })

  it('drops invalid records that arrive as remote updates, counts them, never throws', async () => {
    const t1 = new FakeTransport('one')
    const me = Identity.generate()
    const mallory = Identity.generate()
    const c = await FeedClient.open({ identity: me, transports: [t1], now: () => jan })
    clients.push(c)
    const ref = await c.post('mine')
    const posts = c.posts(me.userId)
    await posts.ready
    t1.open()
    const bucket = postsDocId(me.userId, monthOf(jan))
    // Mallory's post in my bucket (permission), and my post with a forged body (signature).
    const doc = new Y.Doc()
    writeRecords(
      doc,
      bucket,
      mallory,
      [{ type: 'post', id: newId(jan + 1), body: { text: 'intruder' } }],
      jan,
    )
    const forged = signRecord(me, {
      doc: bucket,
      author: me.userId,
      type: 'post',
      id: newId(jan + 2),
      rev: 1,
      at: jan,
      yid: [doc.clientID, Y.getState(doc.store, doc.clientID)],
      body: { text: 'signed' },
    })
    recordsOf(doc).set(keyOfRecord(forged), { ...forged, body: { text: 'forged' } })
    const seen: number[] = []
    posts.subscribe((v) => seen.push(v.posts.length))
    t1.handler?.onUpdate(bucket, Y.encodeStateAsUpdate(doc))
    // Signatures are verified asynchronously (native crypto): wait until both are decided.
    for (let i = 0; i < 500 && c.stats().droppedRecords < 2; i++) {
      await new Promise((r) => setTimeout(r, 2))
    }
    expect(posts.current.posts.map((p) => p.ref)).toEqual([ref])
    expect(c.stats().dropped).toMatchObject({ permission: 1, signature: 1 })
    expect(seen.every((n) => n === 1)).toBe(true)
  })
})

/** A verifier whose checks wait until released (native verification takes its time). */
class GatedVerifier extends RecordVerifier {
  #gate: Promise<void> | null = null
  #open: () => void = () => undefined
  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve
    })
  }
  release(): void {
    this.#gate = null
    this.#open()
  }
  override async verify(record: SignedRecord): Promise<boolean> {
    const gate = this.#gate
    if (gate !== null) await gate
    return super.verify(record)
  }
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** An update in which `author` says `text` in the room `docId`. */
function messageUpdate(docId: DocId, author: Identity, text: string, at: number): Uint8Array {
  const doc = new Y.Doc()
  writeRecords(doc, docId, author, [{ type: 'message', id: newId(at), body: { text } }], at)
  return Y.encodeStateAsUpdate(doc)
}

describe('settled clients and remote updates', () => {
  it('settled() waits for signature checks; then the open room query shows the message', async () => {
    const me = Identity.generate()
    const bob = Identity.generate()
    const t1 = new FakeTransport('one')
    const verifier = new GatedVerifier()
    const c = await FeedClient.open({ identity: me, transports: [t1], now: () => jan, verifier })
    clients.push(c)
    const docId = roomDocId(me.userId, 'lobby')
    const room = c.room({ owner: me.userId, room: 'lobby' })
    await room.ready
    t1.open()
    verifier.hold()
    t1.handler?.onUpdate(docId, messageUpdate(docId, bob, 'hi', jan))
    let settled = false
    const done = c.settled().then(() => {
      settled = true
    })
    await turns(30) // far more turns than any fixed "quiet" count
    expect(settled).toBe(false)
    expect(room.current.messages).toEqual([])
    verifier.release()
    await done
    expect(room.current.messages.map((m) => m.text)).toEqual(['hi'])
  })

  it('an update arriving while a document verifies its stored records is applied, stored and shown', async () => {
    const me = Identity.generate()
    const bob = Identity.generate()
    const storage = new MemoryStorage()
    const docId = roomDocId(me.userId, 'lobby')
    await injectWrite(
      storage,
      docId,
      bob,
      [{ type: 'message', id: newId(jan), body: { text: 'stored' } }],
      jan,
    )
    const t1 = new FakeTransport('one')
    const verifier = new GatedVerifier()
    const c = await FeedClient.open({
      identity: me,
      storage,
      transports: [t1],
      now: () => jan,
      verifier,
    })
    clients.push(c)
    t1.open()
    verifier.hold()
    const room = c.room({ owner: me.userId, room: 'lobby' })
    await new Promise((r) => setTimeout(r, 5)) // its log is applied; its signatures wait
    expect(room.current.messages).toEqual([]) // the stored message is not verified yet
    t1.handler?.onUpdate(docId, messageUpdate(docId, bob, 'live', jan + 1))
    verifier.release()
    await c.settled()
    expect(room.current.messages.map((m) => m.text)).toEqual(['stored', 'live'])
    const stored = new Y.Doc()
    for (const u of (await storage.load(docId)).updates) Y.applyUpdate(stored, u)
    expect(recordsOf(stored).size).toBe(2)
  })

  it('answers synced with a repair under its own ref, which the guard accepts; its ack leaves the outbox alone', async () => {
    const me = Identity.generate()
    const t1 = new FakeTransport('one')
    const timers = new ManualTimers()
    const c = await FeedClient.open({ identity: me, transports: [t1], now: () => jan, timers })
    clients.push(c)
    const docId = userDocId(me.userId)
    const profile = c.profile(me.userId)
    await profile.ready
    t1.open()
    await c.setProfile({ name: 'one' })
    await c.settled()
    expect(t1.sent.map((s) => s.ref)).toEqual([1])
    t1.handler?.onAck(docId, 1)
    await c.settled()
    t1.drop()
    await c.setProfile({ name: 'two' }) // offline: outbox entry 2
    timers.fireAll()
    t1.open()
    await c.settled()
    expect(t1.sent.map((s) => s.ref)).toEqual([1, 2])
    // The relay lost everything: its state is empty.
    const empty = new Y.Doc()
    t1.handler?.onSynced(docId, Y.encodeStateAsUpdate(empty), Y.encodeStateVector(empty))
    await c.settled()
    const repair = t1.sent[2]!
    expect(t1.sent).toHaveLength(3)
    expect(repair.docId).toBe(docId)
    expect(repair.ref).toBeGreaterThanOrEqual(2 ** 50)
    expect(Number.isSafeInteger(repair.ref)).toBe(true)
    const verdict = await checkUpdate(docId, new Y.Doc(), repair.update, { uploader: me.userId })
    expect(verdict).toMatchObject({ ok: true, changed: true })
    t1.handler?.onAck(docId, repair.ref)
    await c.settled()
    expect(c.syncStatus().current.pending).toBe(1) // entry 2 is still in the outbox
    expect(t1.sent).toHaveLength(3)
    t1.handler?.onAck(docId, 2)
    await c.settled()
    expect(c.syncStatus().current.pending).toBe(0)
  })
})
