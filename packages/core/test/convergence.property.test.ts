/**
 * Convergence property: several FeedClients (some users with two devices),
 * two relays linked as trusted peers, random operations from every user,
 * random delivery order over every link, duplicated deliveries, and
 * partitions (client links and the relay link cut while writes continue
 * offline). After healing and running until the network is quiet and every
 * client is settled (`client.settled()`), every replica holds the same Yjs
 * state for every document, every live query shows the same thing on every
 * device, and no view changes any more.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { FeedClient } from '../src/client/FeedClient.js'
import type { LiveQuery } from '../src/client/LiveQuery.js'
import type { CommentRef, PostRef, RoomRef } from '../src/client/refs.js'
import type { Timers } from '../src/client/SyncEngine.js'
import type { SyncStatus } from '../src/client/views.js'
import type { DocId } from '../src/docIds.js'
import { FeedmeshError } from '../src/errors.js'
import { Identity, type UserId } from '../src/Identity.js'
import { listEntries, resolveVersions } from '../src/recordMap.js'
import { RecordVerifier } from '../src/records.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import { MemoryRelay } from '../src/transport/MemoryRelay.js'
import { MemoryTransport } from '../src/transport/MemoryTransport.js'
import { SimNetwork } from '../src/transport/SimNetwork.js'
import { fcParams, runs } from './helpers/fuzz.js'

/** Which user each device belongs to: users 0 and 1 have two devices each. */
const deviceUsers = [0, 0, 1, 1, 2, 3] as const
const userCount = 4
const emojis = ['👍', '❤️', 'ok'] as const
/** 2026-01-31 22:00 UTC: runs cross into February, so posts span two buckets. */
const start = Date.UTC(2026, 0, 31, 22)

/** One random operation. */
type Op =
  | { k: 'post'; d: number; reply: number | null }
  | { k: 'edit'; d: number; pick: number }
  | { k: 'delete'; d: number; pick: number }
  | { k: 'twinEdit'; u: 0 | 1; pick: number }
  | { k: 'comment'; d: number; pick: number }
  | { k: 'editComment'; d: number; pick: number }
  | { k: 'deleteComment'; d: number; pick: number }
  | { k: 'react'; d: number; pick: number; e: number }
  | { k: 'unreact'; d: number; pick: number; e: number }
  | { k: 'follow'; d: number; u: number }
  | { k: 'unfollow'; d: number; u: number }
  | { k: 'say'; d: number; room: number }
  | { k: 'profile'; d: number }
  | { k: 'deliver'; n: number }
  | { k: 'cut'; link: number }
  | { k: 'restore'; link: number }
  | { k: 'tick'; minutes: number }

const device = fc.nat(deviceUsers.length - 1)
const pick = fc.nat(1000)
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ k: fc.constant('post' as const), d: device, reply: fc.option(pick) }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('edit' as const), d: device, pick }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), d: device, pick }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('twinEdit' as const),
      u: fc.constantFrom(0 as const, 1 as const),
      pick,
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('comment' as const), d: device, pick }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('editComment' as const), d: device, pick }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('deleteComment' as const), d: device, pick }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('react' as const), d: device, pick, e: fc.nat(2) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('unreact' as const), d: device, pick, e: fc.nat(2) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('follow' as const),
      d: device,
      u: fc.nat(userCount - 1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('unfollow' as const),
      d: device,
      u: fc.nat(userCount - 1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('say' as const), d: device, room: fc.nat(1) }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('profile' as const), d: device }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('deliver' as const),
      n: fc.integer({ min: 1, max: 30 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cut' as const), link: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('restore' as const), link: fc.nat(100) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('tick' as const),
      minutes: fc.integer({ min: 1, max: 90 }),
    }),
  },
)

/** A scenario: the operations and the network's own seed and duplication rate. */
interface Scenario {
  ops: Op[]
  netSeed: number
  duplicate: number
}

const scenarioArb = (maxOps: number): fc.Arbitrary<Scenario> =>
  fc.record({
    ops: fc.array(opArb, { minLength: 5, maxLength: maxOps }),
    netSeed: fc.nat(2 ** 31 - 1),
    duplicate: fc.constantFrom(0, 0.1, 0.3),
  })

interface Device {
  user: number
  identity: Identity
  storage: MemoryStorage
  transport: MemoryTransport
  client: FeedClient
  queries: LiveQuery<unknown>[]
  timeline: ReturnType<FeedClient['timeline']>
  posts: ReturnType<FeedClient['posts']>[]
  threads: Map<string, LiveQuery<unknown>>
  status: LiveQuery<SyncStatus>
}

/** Reconnect timers fired by hand: the scenario decides when time passes. */
class ManualTimers implements Timers {
  #next = 1
  readonly #pending = new Map<number, () => void>()
  setTimeout(fn: () => void): unknown {
    const id = this.#next++
    this.#pending.set(id, fn)
    return id
  }
  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number)
  }
  /** Fires every timer scheduled so far. */
  fireAll(): void {
    const due = [...this.#pending.values()]
    this.#pending.clear()
    for (const fn of due) fn()
  }
}

/** Waits for a macrotask turn. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** The resolved records of a document, as comparable JSON. */
function recordsJson(doc: Y.Doc): string {
  const entries = resolveVersions(listEntries(doc)).map((e) => e.value)
  return JSON.stringify(entries.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))))
}

/**
 * Views as JSON, keys in their own order: every device must build the same
 * objects, key order included (an app renders `Object.entries(reactions)`;
 * see the regression test below).
 */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value)
}

function isEmpty(doc: Y.Doc): boolean {
  return doc.store.clients.size === 0
}

/** What every device must show alike: every query but the timeline, threads without "my reactions". */
function shared(d: Device): string {
  const threads = [...d.threads.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, q]) => {
      const { myReactions: _mine, ...rest } = q.current as { myReactions?: unknown }
      return [key, rest]
    })
  return canonicalJson({ queries: d.queries.slice(1).map((q) => q.current), threads })
}

/** What the devices of one user must show alike: the timeline and full threads. */
function personal(d: Device): string {
  return canonicalJson({
    timeline: d.timeline.current,
    threads: [...d.threads.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, q]) => q.current),
  })
}

/** Runs one scenario and checks convergence; returns what it measured. */
async function runScenario({ ops, netSeed, duplicate }: Scenario) {
  const net = new SimNetwork({ seed: netSeed, duplicate })
  const relayVerifier = new RecordVerifier()
  const relays = [
    new MemoryRelay({ name: 'r1', network: net, verifier: relayVerifier }),
    new MemoryRelay({ name: 'r2', network: net, verifier: relayVerifier }),
  ] as const
  const peerLink = relays[0].peer(relays[1])
  const identities = Array.from({ length: userCount }, () => Identity.generate())
  const uids = identities.map((i) => i.userId)
  const rooms: RoomRef[] = [
    { owner: uids[0]!, room: 'lobby' },
    { owner: uids[2]!, room: 'chat' },
  ]
  let clock = start
  const now = () => clock
  const timers = new ManualTimers()
  const devices: Device[] = []
  for (const [i, user] of deviceUsers.entries()) {
    const identity = identities[user]!
    const storage = new MemoryStorage()
    const transport = new MemoryTransport({
      network: net,
      relay: relays[i % 2]!,
      identity,
      name: `d${i}`,
    })
    const client = await FeedClient.open({
      identity,
      storage,
      transports: [transport],
      now,
      verifier: new RecordVerifier(),
      timers,
      random: () => net.random(),
    })
    const timeline = client.timeline({ pageSize: 1000 })
    const posts = uids.map((uid) => client.posts(uid, { pageSize: 1000 }))
    const queries: LiveQuery<unknown>[] = [timeline, ...posts]
    for (const uid of uids) {
      queries.push(client.profile(uid), client.followers(uid), client.following(uid))
      queries.push(client.friends(uid))
    }
    for (const room of rooms) queries.push(client.room(room))
    devices.push({
      user,
      identity,
      storage,
      transport,
      client,
      queries,
      timeline,
      posts,
      threads: new Map(),
      status: client.syncStatus(),
    })
  }
  const links = [peerLink, ...devices.map((d) => d.transport.link)]
  /** Lets every client finish its own work: loads, signature checks, storage, outbox bookkeeping. */
  const settleClients = async () => {
    await Promise.all(devices.map((d) => d.client.settled()))
  }
  const postRefs: { ref: PostRef; user: number }[] = []
  const commentRefs: { ref: CommentRef; user: number }[] = []
  let tolerated = 0

  const openThread = (ref: PostRef) => {
    const key = `${ref.author}/${ref.postId}`
    for (const d of devices) {
      if (!d.threads.has(key)) d.threads.set(key, d.client.thread(ref))
    }
  }
  const ownPost = (user: number, n: number) => {
    const own = postRefs.filter((p) => p.user === user)
    return own.length === 0 ? undefined : own[n % own.length]!.ref
  }
  const anyPost = (n: number) =>
    postRefs.length === 0 ? undefined : postRefs[n % postRefs.length]!.ref
  /** Runs a client operation; a FeedmeshError (e.g. editing a post not synced yet) is tolerated. */
  const attempt = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn()
    } catch (error) {
      if (error instanceof FeedmeshError) {
        tolerated++
        return undefined
      }
      throw error
    }
  }

  for (const [i, op] of ops.entries()) {
    clock += 1000
    const d = 'd' in op ? devices[op.d]! : undefined
    const user = d?.user ?? 0
    switch (op.k) {
      case 'post': {
        const replyTo = op.reply === null ? undefined : anyPost(op.reply)
        const ref = await attempt(() =>
          d!.client.post(`post ${i}`, replyTo === undefined ? {} : { replyTo }),
        )
        if (ref !== undefined) {
          postRefs.push({ ref, user })
          openThread(ref)
        }
        break
      }
      case 'edit': {
        const ref = ownPost(user, op.pick)
        if (ref !== undefined) await attempt(() => d!.client.editPost(ref, `edit ${i}`))
        break
      }
      case 'delete': {
        const ref = ownPost(user, op.pick)
        if (ref !== undefined) await attempt(() => d!.client.deletePost(ref))
        break
      }
      case 'twinEdit': {
        // Both devices of one author edit the same post concurrently.
        const ref = ownPost(op.u, op.pick)
        const twins = devices.filter((x) => x.user === op.u)
        if (ref !== undefined) {
          await Promise.all(
            twins.map((x, j) => attempt(() => x.client.editPost(ref, `twin ${i}.${j}`))),
          )
        }
        break
      }
      case 'comment': {
        const ref = anyPost(op.pick)
        if (ref !== undefined) {
          const c = await attempt(() => d!.client.comment(ref, `comment ${i}`))
          if (c !== undefined) commentRefs.push({ ref: c, user })
        }
        break
      }
      case 'editComment':
      case 'deleteComment': {
        const own = commentRefs.filter((c) => c.user === user)
        const c = own.length === 0 ? undefined : own[op.pick % own.length]!.ref
        if (c === undefined) break
        if (op.k === 'editComment') await attempt(() => d!.client.editComment(c, `re ${i}`))
        else await attempt(() => d!.client.deleteComment(c))
        break
      }
      case 'react':
      case 'unreact': {
        const ref = anyPost(op.pick)
        if (ref === undefined) break
        const emoji = emojis[op.e]!
        if (op.k === 'react') await attempt(() => d!.client.react(ref, emoji))
        else await attempt(() => d!.client.unreact(ref, emoji))
        break
      }
      case 'follow':
      case 'unfollow': {
        if (op.u === user) break
        const uid = uids[op.u]!
        if (op.k === 'follow') await attempt(() => d!.client.follow(uid))
        else await attempt(() => d!.client.unfollow(uid))
        break
      }
      case 'say':
        await attempt(() => d!.client.say(rooms[op.room]!, `say ${i}`))
        break
      case 'profile':
        await attempt(() => d!.client.setProfile({ name: `user ${user} at ${i}` }))
        break
      case 'deliver':
        timers.fireAll()
        for (let s = 0; s < op.n && net.step(); s++) {}
        await turn()
        break
      case 'cut':
        net.cut(links[op.link % links.length]!)
        break
      case 'restore':
        net.restore(links[op.link % links.length]!)
        break
      case 'tick':
        clock += op.minutes * 60_000
        break
    }
  }

  // Heal: restore every link, then run until the network is quiet and every
  // outbox is empty (reconnect timers fire by hand).
  for (const link of links) net.restore(link)
  let rounds = 0
  for (; rounds < 50; rounds++) {
    timers.fireAll()
    await net.run()
    await settleClients()
    for (const d of devices) {
      await d.timeline.loadMore()
      for (const p of d.posts) await p.loadMore()
    }
    await net.run()
    await settleClients()
    const synced = devices.every((d) => {
      const s = d.status.current
      return s.online && s.pending === 0
    })
    if (synced && net.pending === 0) break
  }
  // Views follow the documents asynchronously (signatures are verified on a
  // thread pool, which takes an unbounded number of event-loop turns), so
  // counting quiet turns is not enough: once the network is quiet and every
  // client is settled, nothing may change any more.
  const views = () => devices.map((d) => shared(d) + personal(d)).join('\n')
  const settledViews = views()
  for (let i = 0; i < 5; i++) await turn()
  await new Promise((resolve) => setTimeout(resolve, 5))
  const laterViews = views()
  return {
    net,
    relays,
    devices,
    rounds,
    tolerated,
    postRefs,
    uids,
    quiet: net.pending === 0,
    settledViews,
    laterViews,
  }
}

type Result = Awaited<ReturnType<typeof runScenario>>

/** Asserts that everything converged. */
async function checkConverged(result: Result): Promise<void> {
  const { relays, devices, rounds, uids } = result
  expect(rounds, 'the network did not settle').toBeLessThan(50)
  expect(result.quiet, 'messages still in flight after every client settled').toBe(true)
  expect(result.laterViews, 'views changed after every client was settled').toBe(
    result.settledViews,
  )
  expect([...relays[0].failures, ...relays[1].failures]).toEqual([])
  expect(relays[0].peerRefused + relays[1].peerRefused).toBe(0)
  for (const d of devices) {
    const status = d.status.current
    expect(status, `device of user ${d.user}`).toMatchObject({
      online: true,
      pending: 0,
      refused: 0,
    })
    expect(d.client.stats().droppedRecords).toBe(0)
  }

  // 1. Relays hold identical documents.
  const docIds = new Set<DocId>([...relays[0].docIds(), ...relays[1].docIds()])
  const relayDoc = (docId: DocId) => relays[0].doc(docId) ?? new Y.Doc()
  for (const docId of docIds) {
    const a = relayDoc(docId)
    const b = relays[1].doc(docId) ?? new Y.Doc()
    expect(Y.equalSnapshots(Y.snapshot(a), Y.snapshot(b)), `relays differ on ${docId}`).toBe(true)
  }

  // 2. Every device's stored replica of every document equals the relays'.
  for (const [i, d] of devices.entries()) {
    const stored = new Set(await d.storage.listDocs())
    for (const docId of new Set([...docIds, ...stored])) {
      const mine = new Y.Doc()
      const { updates } = await d.storage.load(docId)
      for (const u of updates) Y.applyUpdate(mine, u)
      const theirs = relayDoc(docId)
      if (isEmpty(mine) && isEmpty(theirs)) continue
      const where = `device ${i} (user ${d.user}), ${docId}`
      expect(Y.encodeStateVector(mine), where).toEqual(Y.encodeStateVector(theirs))
      expect(Y.equalSnapshots(Y.snapshot(mine), Y.snapshot(theirs)), where).toBe(true)
      expect(recordsJson(mine), where).toBe(recordsJson(theirs))
    }
  }

  // 3. Every live query shows the same on every device (timelines and "my
  //    reactions" are per user: the same on the devices of one user).
  const reference = shared(devices[0]!)
  for (const [i, d] of devices.entries()) {
    expect(shared(d), `views of device ${i}`).toBe(reference)
    const twin = devices.find((x) => x.user === d.user)!
    expect(personal(d), `personal views of device ${i}`).toBe(personal(twin))
  }
  // The views are not trivially equal: each user's profile view names the user.
  const profiles = devices[0]!.queries.filter((q) => {
    const v = q.current as { userId?: unknown }
    return typeof v === 'object' && v !== null && 'userId' in v
  })
  expect(profiles.map((q) => (q.current as { userId: UserId }).userId)).toEqual(uids)
}

async function closeAll({ devices }: Result): Promise<void> {
  for (const d of devices) {
    for (const q of [...d.queries, ...d.threads.values()]) q.close()
    await d.client.close()
  }
}

async function property(scenario: Scenario): Promise<void> {
  const result = await runScenario(scenario)
  try {
    await checkConverged(result)
  } finally {
    await closeAll(result)
  }
}

describe('convergence', () => {
  it('replicas and views converge after random operations, delivery orders and partitions', async () => {
    await fc.assert(fc.asyncProperty(scenarioArb(40), property), fcParams(runs(10, 300)))
  }, 120_000)

  it('a fixed scenario with every kind of operation converges (and reaches every device)', async () => {
    const all: Op[] = [
      { k: 'profile', d: 0 },
      { k: 'post', d: 0, reply: null },
      { k: 'cut', link: 0 },
      { k: 'post', d: 3, reply: 0 },
      { k: 'twinEdit', u: 0, pick: 0 },
      { k: 'comment', d: 4, pick: 1 },
      { k: 'cut', link: 2 },
      { k: 'react', d: 5, pick: 0, e: 0 },
      { k: 'deliver', n: 10 },
      { k: 'follow', d: 4, u: 0 },
      { k: 'follow', d: 1, u: 2 },
      { k: 'say', d: 2, room: 0 },
      { k: 'say', d: 0, room: 1 },
      { k: 'tick', minutes: 90 },
      { k: 'post', d: 1, reply: null },
      { k: 'edit', d: 2, pick: 0 },
      { k: 'editComment', d: 4, pick: 0 },
      { k: 'unreact', d: 5, pick: 0, e: 0 },
      { k: 'react', d: 5, pick: 1, e: 1 },
      { k: 'unfollow', d: 1, u: 2 },
      { k: 'delete', d: 1, pick: 1 },
      { k: 'deleteComment', d: 4, pick: 0 },
    ]
    const result = await runScenario({ ops: all, netSeed: 1, duplicate: 0.3 })
    try {
      await checkConverged(result)
      const view = result.devices[5]!.posts[0]!.current
      // User 0 posted twice (one deleted) across two monthly buckets.
      expect(view.posts).toHaveLength(1)
      const profile0 = result.devices[3]!.queries.find(
        (q) => (q.current as { userId?: string }).userId === result.uids[0],
      )
      expect(profile0?.current).toMatchObject({ followers: 1 })
      expect(result.net.duplicated).toBeGreaterThan(0)
    } finally {
      await closeAll(result)
    }
  }, 60_000)
})

describe('convergence regressions', () => {
  // Found by the property above (e.g. SEED=314113151, EXTENSIVE=1): the
  // `reactions` object of PostView / ThreadView lists emojis in the order
  // each replica saw them, so two devices with the same records serialize
  // (and render) the reactions in different orders.
  it('reactions are listed in the same order on every device', async () => {
    const net = new SimNetwork({ seed: 5 })
    const relay = new MemoryRelay({ name: 'r', network: net })
    const [alice, bob] = [Identity.generate(), Identity.generate()]
    const open = (identity: Identity) =>
      FeedClient.open({
        identity,
        transports: [new MemoryTransport({ network: net, relay, identity })],
        now: () => start,
        verifier: new RecordVerifier(),
        timers: new ManualTimers(),
      })
    const a = await open(alice)
    const b = await open(bob)
    const ref = await a.post('hello')
    await net.run()
    await a.react(ref, '👍')
    await b.react(ref, '❤️')
    await net.run()
    // Fresh queries, so only the ordering is under test here.
    const ta = a.thread(ref)
    const tb = b.thread(ref)
    await Promise.all([ta.ready, tb.ready])
    await net.run()
    // The threads' `synced` answers are verified asynchronously.
    await Promise.all([a.settled(), b.settled()])
    expect(ta.current.reactions).toEqual({ '👍': 1, '❤️': 1 })
    expect(tb.current.reactions).toEqual({ '👍': 1, '❤️': 1 })
    expect(JSON.stringify(ta.current.reactions)).toBe(JSON.stringify(tb.current.reactions))
    await a.close()
    await b.close()
  })

  // Found by the property (SEED=314484132 EXTENSIVE=1, shrunk to one
  // operation): device 0 of user 0 says one message in r/<user 0>/lobby.
  // The devices on the other relay (r2) receive it as a live `update`
  // (the relay got it over the peer link): DocStore.applyRemote applies it
  // to the open, loaded document and storage holds it, but the open
  // RoomQuery on those devices keeps showing no messages; a room() query
  // opened afterwards on the same client shows the message.
  it('a live update reaches the open room query on every device (netSeed 1471994410)', async () => {
    for (let i = 0; i < 40; i++) {
      await property({ ops: [{ k: 'say', d: 0, room: 0 }], netSeed: 1471994410, duplicate: 0 })
    }
  }, 60_000)
})
