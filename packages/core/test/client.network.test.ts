/**
 * The network side of the sync engine: relays that refuse a client for
 * good are given up (failedRelays, lastError, failover), `synced` and
 * `whenSynced` follow the relay's answers, outbox entries answered by
 * errors follow outboxPolicy.ts, and presence travels through a relay
 * without being stored.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { FeedClient } from '../src/client/FeedClient.js'
import { OutboxActions, outboxActionFor } from '../src/client/outboxPolicy.js'
import type { PresenceView } from '../src/client/Presence.js'
import { followersDocId, roomDocId, userDocId } from '../src/docIds.js'
import { FeedmeshError } from '../src/errors.js'
import { Identity } from '../src/Identity.js'
import { RecordVerifier } from '../src/records.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import { MemoryRelay } from '../src/transport/MemoryRelay.js'
import { MemoryTransport } from '../src/transport/MemoryTransport.js'
import { SimNetwork } from '../src/transport/SimNetwork.js'
import type { Transport } from '../src/transport/Transport.js'
import { FakeTransport, ManualTimers } from './helpers/fakeTransport.js'

const jan = Date.UTC(2026, 0, 10)
const repairRefs = 2 ** 50
const clients: FeedClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

async function open(
  transports: Transport[],
  options: { identity?: Identity; timers?: ManualTimers; storage?: MemoryStorage } = {},
): Promise<FeedClient> {
  const c = await FeedClient.open({
    identity: options.identity ?? Identity.generate(),
    storage: options.storage,
    transports,
    now: () => jan,
    verifier: new RecordVerifier(),
    timers: options.timers,
    random: () => 0.5,
    backoff: { baseMs: 100, maxMs: 1000, preferredRetryMs: 5000 },
  })
  clients.push(c)
  return c
}

const tick = () => new Promise((r) => setTimeout(r, 5))

/** The FeedmeshError code a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (error) {
    if (error instanceof FeedmeshError) return error.code
    throw error
  }
  throw new Error('did not reject')
}

const emptyUpdate = () => Y.encodeStateAsUpdate(new Y.Doc())
const emptyVector = () => Y.encodeStateVector(new Y.Doc())

describe('relays that refuse the client for good', () => {
  it('are given up: failedRelays and lastError, failover to the next, no retry; none left: no-relay', async () => {
    const t1 = new FakeTransport('ws://one')
    const t2 = new FakeTransport('ws://two')
    const timers = new ManualTimers()
    const c = await open([t1, t2], { timers })
    const status = c.syncStatus()
    expect(t1.connects).toBe(1)
    // The relay's ERROR arrives before the close, during the handshake.
    t1.handler?.onError({ code: 'auth-failed', message: 'the AUTH signature does not verify' })
    expect(status.current.lastError?.code).toBe('auth-failed')
    t1.drop(false)
    expect(status.current).toMatchObject({
      online: false,
      synced: false,
      failedRelays: ['ws://one'],
      lastError: { code: 'auth-failed' },
    })
    expect(status.current.lastError?.message).toContain('ws://one')
    expect(timers.fireAll()).toEqual([75])
    expect(t2.connects).toBe(1)
    t2.open()
    expect(status.current).toMatchObject({ online: true, relay: 'ws://two' })
    // No probe of a relay given up.
    expect(timers.pending.size).toBe(0)
    t2.drop(true)
    timers.fireAll()
    expect(t2.connects).toBe(2) // the only relay left is retried
    expect(t1.connects).toBe(1)
    const waiting = c.whenSynced({ timeoutMs: 5_000 })
    t2.drop(false)
    expect(status.current.failedRelays).toEqual(['ws://one', 'ws://two'])
    expect(timers.pending.size).toBe(0)
    expect(await rejection(waiting)).toBe('no-relay')
    expect(await rejection(c.whenSynced())).toBe('no-relay')
  })

  it('a probe of the preferred relay that refuses for good stops the probing', async () => {
    const t1 = new FakeTransport('ws://one')
    const t2 = new FakeTransport('ws://two')
    const timers = new ManualTimers()
    const c = await open([t1, t2], { timers })
    t1.drop(true)
    timers.fireAll()
    t2.open()
    expect([...timers.pending.values()].map((p) => p.ms)).toEqual([5000])
    timers.fireAll()
    expect(t1.connects).toBe(2)
    t1.drop(false)
    const status = c.syncStatus().current
    expect(status).toMatchObject({ online: true, relay: 'ws://two', failedRelays: ['ws://one'] })
    expect(timers.pending.size).toBe(0)
  })
})

describe('synced and whenSynced', () => {
  it('follow the answers to every open document, on the current connection only', async () => {
    const t1 = new FakeTransport('one')
    const timers = new ManualTimers()
    const me = Identity.generate()
    const c = await open([t1], { identity: me, timers })
    const status = c.syncStatus()
    const profile = c.profile(me.userId)
    await profile.ready
    let resolved = false
    const waiting = c.whenSynced({ timeoutMs: 5_000 }).then(() => {
      resolved = true
    })
    t1.open()
    const mine = [followersDocId(me.userId), userDocId(me.userId)]
    expect(t1.subscribed.map((batch) => batch.map((s) => s.docId).sort())).toEqual([mine])
    await tick()
    expect(status.current.synced).toBe(false)
    for (const docId of mine) t1.handler?.onSynced(docId, emptyUpdate(), emptyVector())
    await tick()
    expect(status.current.synced).toBe(false) // not caught up yet
    t1.handler?.onCaughtUp(mine)
    await waiting
    expect(resolved).toBe(true)
    expect(status.current).toMatchObject({ online: true, synced: true })
    // A document opened later waits for its own answer; a resumed one may get no `synced`.
    const other = Identity.generate().userId
    const otherProfile = c.profile(other)
    await otherProfile.ready
    await tick()
    expect(status.current.synced).toBe(false)
    const theirs = t1.subscribed.slice(1).flatMap((batch) => batch.map((s) => s.docId))
    expect(theirs.sort()).toEqual([followersDocId(other), userDocId(other)].sort())
    t1.handler?.onCaughtUp(theirs)
    await c.whenSynced({ timeoutMs: 1_000 })
    expect(status.current.synced).toBe(true)
    // Offline: not synced; waiting times out with a clear error.
    t1.drop()
    expect(status.current.synced).toBe(false)
    expect(await rejection(c.whenSynced({ timeoutMs: 30 }))).toBe('timeout')
    const pending = c.whenSynced({ timeoutMs: 5_000 })
    await c.close()
    expect(await rejection(pending)).toBe('closed')
  })

  it('a client with no relay rejects at once with no-relay', async () => {
    const c = await open([])
    expect(await rejection(c.whenSynced())).toBe('no-relay')
  })

  it('after whenSynced a fresh device shows what the relay holds, documents opened on the way included', async () => {
    const net = new SimNetwork({ seed: 3, auto: true })
    const relay = new MemoryRelay({ name: 'r', network: net })
    const alice = Identity.generate()
    const carol = Identity.generate()
    const transport = (identity: Identity) => new MemoryTransport({ network: net, relay, identity })
    const a = await open([transport(alice)], { identity: alice })
    for (const text of ['one', 'two', 'three']) await a.post(text)
    const c1 = await open([transport(carol)], { identity: carol })
    await c1.follow(alice.userId)
    await c1.post('mine')
    for (const c of [a, c1]) {
      const status = c.syncStatus()
      for (let i = 0; i < 500 && status.current.pending > 0; i++) await net.run()
      expect(status.current.pending).toBe(0)
    }
    // Carol's second device: empty storage. The timeline opens u/carol, then
    // alice's documents it names: whenSynced waits for those too.
    const c2 = await open([transport(carol)], { identity: carol, storage: new MemoryStorage() })
    const timeline = c2.timeline()
    await c2.whenSynced({ timeoutMs: 5_000 })
    expect(timeline.current.posts.map((p) => p.text).sort()).toEqual(
      ['mine', 'one', 'three', 'two'].sort(),
    )
  })
})

describe('outbox entries answered by errors (outboxPolicy.ts)', () => {
  it('maps codes to actions', () => {
    const action = (code: string, rule?: string) =>
      outboxActionFor(rule === undefined ? { code, message: '' } : { code, rule, message: '' })
    expect(action('refused', 'missing-dependency')).toBe(OutboxActions.Retry)
    expect(action('refused', 'not-owner')).toBe(OutboxActions.Drop)
    expect(action('record-too-large')).toBe(OutboxActions.Drop)
    expect(action('too-large')).toBe(OutboxActions.Drop)
    for (const code of ['rate-limited', 'storage-failed', 'internal']) {
      expect(action(code)).toBe(OutboxActions.RetryLater)
    }
    for (const code of ['read-only', 'unauthenticated', 'bad-frame', 'something-new']) {
      expect(action(code)).toBe(OutboxActions.Keep)
    }
  })

  it('drops size refusals (counted), keeps connection faults for the next connection, retries rate limits later', async () => {
    const t1 = new FakeTransport('one')
    const timers = new ManualTimers()
    const storage = new MemoryStorage()
    const me = Identity.generate()
    const c = await open([t1], { identity: me, timers, storage })
    const status = c.syncStatus()
    const docId = userDocId(me.userId)
    const profile = c.profile(me.userId)
    await profile.ready
    t1.open()
    for (const name of ['a', 'b', 'c', 'd']) await c.setProfile({ name })
    await c.settled()
    expect(t1.sent.map((s) => s.ref)).toEqual([1, 2, 3, 4])
    t1.handler?.onError({ code: 'too-large', docId, ref: 1, message: 'frame too large' })
    t1.handler?.onError({ code: 'record-too-large', docId, ref: 2, message: 'record too large' })
    await c.settled()
    expect(status.current).toMatchObject({ pending: 2, refused: 2 })
    expect((await storage.outbox()).map((e) => e.seq)).toEqual([3, 4])
    // A connection fault keeps the entry: it goes out again on the next connection.
    t1.handler?.onError({ code: 'unauthenticated', docId, ref: 3, message: 'AUTH first' })
    await c.settled()
    expect(status.current).toMatchObject({
      pending: 2,
      refused: 2,
      lastError: { code: 'unauthenticated' },
    })
    // A rate limit: held, and after a backoff the document's state is asked again, then it is resent.
    t1.handler?.onError({ code: 'rate-limited', docId, ref: 4, message: 'slow down' })
    await c.settled()
    expect([...timers.pending.values()].map((p) => p.ms)).toEqual([100])
    const subscribes = t1.subscribed.length
    timers.fireAll()
    await c.settled()
    expect(t1.subscribed).toHaveLength(subscribes + 1)
    expect(t1.subscribed.at(-1)?.map((s) => s.docId)).toEqual([docId])
    expect(t1.sent.filter((s) => s.ref < repairRefs).map((s) => s.ref)).toEqual([1, 2, 3, 4])
    t1.handler?.onSynced(docId, emptyUpdate(), emptyVector())
    t1.handler?.onCaughtUp([docId])
    await c.settled()
    expect(t1.sent.filter((s) => s.ref < repairRefs).map((s) => s.ref)).toEqual([1, 2, 3, 4, 4])
    t1.handler?.onAck(docId, 4)
    await c.settled()
    expect(status.current.pending).toBe(1)
    // Reconnect: entry 3 goes out again and is acknowledged.
    t1.drop()
    timers.fireAll()
    t1.open()
    await c.settled()
    expect(t1.sent.filter((s) => s.ref < repairRefs).map((s) => s.ref)).toEqual([1, 2, 3, 4, 4, 3])
    t1.handler?.onAck(docId, 3)
    await c.settled()
    expect(status.current).toMatchObject({ pending: 0, refused: 2 })
    expect(await storage.outbox()).toEqual([])
  })
})

describe('presence', () => {
  it('travels through the relay to the room, newcomers see who is there, leaving clears it; nothing is stored', async () => {
    const net = new SimNetwork({ seed: 5, auto: true })
    const relay = new MemoryRelay({ name: 'r', network: net })
    const alice = Identity.generate()
    const bob = Identity.generate()
    const ta = new MemoryTransport({ network: net, relay, identity: alice })
    const tb = new MemoryTransport({ network: net, relay, identity: bob })
    const a = await open([ta], { identity: alice })
    const b = await open([tb], { identity: bob })
    const room = { owner: alice.userId, room: 'lobby' }
    const until = async (cond: () => boolean, what: string) => {
      for (let i = 0; i < 300 && !cond(); i++) {
        await net.run()
        await tick()
      }
      if (!cond()) throw new Error(`timed out waiting for ${what}`)
    }
    const pa = a.presence(room, { typing: false })
    await pa.ready
    await a.whenSynced({ timeoutMs: 5_000 })
    // Bob joins later, watching only: alice re-announces for the newcomer.
    const pb = b.presence(roomDocId(alice.userId, 'lobby'))
    const seen: PresenceView[] = []
    pb.subscribe((v) => seen.push(v))
    await until(() => pb.current.peers.length === 1, 'alice at bob')
    expect(pb.current.peers[0]).toMatchObject({
      clientId: pa.clientId,
      user: alice.userId,
      state: { typing: false, user: alice.userId },
    })
    expect(pb.current.self).toBeNull()
    expect(pa.current.peers).toEqual([]) // bob is invisible
    pa.set({ typing: true })
    await until(() => pb.current.peers[0]?.state.typing === true, 'typing at bob')
    pb.set({ typing: true })
    await until(() => pa.current.peers.length === 1, 'bob at alice')
    expect(pa.current.peers[0]?.user).toBe(bob.userId)
    expect(seen.length).toBeGreaterThan(0)
    // After a reconnect bob's presence is announced again.
    net.cut(tb.link)
    net.restore(tb.link)
    await until(() => b.syncStatus().current.synced, 'bob back')
    pb.set({ typing: false })
    await until(() => pa.current.peers[0]?.state.typing === false, 'bob stopped typing')
    pa.close()
    await until(() => pb.current.peers.length === 0, 'alice left')
    expect(relay.log(roomDocId(alice.userId, 'lobby'))).toHaveLength(0)
    expect(a.stats().openDocs).toBe(0)
  })
})
