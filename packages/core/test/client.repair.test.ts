/**
 * The sync engine's outbox order, its retry of `missing-dependency`
 * refusals, and the repair step of a (re)connect: a relay that lost its
 * data, or never had it, gets the author's own items and deletions back,
 * and nothing the guard refuses is ever sent.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { FeedClient } from '../src/client/FeedClient.js'
import { addInFlight, relayDocState, repairUpdate } from '../src/client/repairUpdate.js'
import type { Timers } from '../src/client/SyncEngine.js'
import { type DocId, monthOf, postsDocId, threadDocId, userDocId } from '../src/docIds.js'
import { checkUpdate } from '../src/guard.js'
import { Identity } from '../src/Identity.js'
import { listEntries, resolveVersions, writeRecords } from '../src/recordMap.js'
import { RecordVerifier } from '../src/records.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import type { OutboxEntry } from '../src/storage/StorageAdapter.js'
import { MemoryRelay } from '../src/transport/MemoryRelay.js'
import { MemoryTransport } from '../src/transport/MemoryTransport.js'
import { SimNetwork } from '../src/transport/SimNetwork.js'
import type {
  RelayError,
  Subscription,
  Transport,
  TransportHandler,
  TransportState,
} from '../src/transport/Transport.js'

const jan = Date.UTC(2026, 0, 10)
const repairRefs = 2 ** 50

const clients: FeedClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

/** A transport that records what goes out and what errors come back. */
class RecordingTransport implements Transport {
  readonly sent: { docId: DocId; ref: number }[] = []
  readonly errors: RelayError[] = []
  readonly acks: number[] = []
  constructor(readonly inner: Transport) {}
  get name(): string {
    return this.inner.name
  }
  get state(): TransportState {
    return this.inner.state
  }
  connect(handler: TransportHandler): void {
    this.inner.connect({
      ...handler,
      onAck: (docId, ref) => {
        this.acks.push(ref)
        handler.onAck(docId, ref)
      },
      onError: (error) => {
        this.errors.push(error)
        handler.onError(error)
      },
    })
  }
  disconnect(): void {
    this.inner.disconnect()
  }
  subscribe(subscriptions: readonly Subscription[]): void {
    this.inner.subscribe(subscriptions)
  }
  unsubscribe(docIds: readonly DocId[]): void {
    this.inner.unsubscribe(docIds)
  }
  sendUpdate(docId: DocId, update: Uint8Array, ref: number): void {
    this.sent.push({ docId, ref })
    this.inner.sendUpdate(docId, update, ref)
  }
  sendAwareness(docId: DocId, payload: Uint8Array): void {
    this.inner.sendAwareness(docId, payload)
  }
  /** Outbox refs sent, in order (repair refs left out). */
  get outboxRefs(): number[] {
    return this.sent.filter((s) => s.ref < repairRefs).map((s) => s.ref)
  }
}

/** A storage whose `outbox()` reads can be held, as a slow IndexedDB read. */
class SlowOutboxStorage extends MemoryStorage {
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
  override async outbox(): Promise<OutboxEntry[]> {
    const gate = this.#gate
    if (gate !== null) await gate
    return super.outbox()
  }
}

/** Timers fired by hand. */
class ManualTimers implements Timers {
  next = 1
  readonly pending = new Map<number, () => void>()
  setTimeout(fn: () => void): unknown {
    const id = this.next++
    this.pending.set(id, fn)
    return id
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number)
  }
  fireAll(): void {
    const due = [...this.pending.values()]
    this.pending.clear()
    for (const fn of due) fn()
  }
}

async function openClient(
  identity: Identity,
  storage: MemoryStorage,
  transports: Transport[] = [],
  timers = new ManualTimers(),
): Promise<FeedClient> {
  const client = await FeedClient.open({
    identity,
    storage,
    transports,
    now: () => jan,
    verifier: new RecordVerifier(),
    timers,
  })
  clients.push(client)
  return client
}

/** Runs the network and the clients until both are quiet. */
async function quiet(net: SimNetwork, ...cs: FeedClient[]): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await net.run()
    await Promise.all(cs.map((c) => c.settled()))
    if (net.pending === 0) return
  }
  throw new Error('the network and clients did not become quiet')
}

/** The resolved records of a document as sorted JSON. */
function recordsJson(doc: Y.Doc | undefined): string[] {
  if (doc === undefined) return []
  return resolveVersions(listEntries(doc))
    .map((e) => JSON.stringify(e.value))
    .sort()
}

async function storedDoc(storage: MemoryStorage, docId: DocId): Promise<Y.Doc> {
  const doc = new Y.Doc({ gc: false })
  for (const u of (await storage.load(docId)).updates) Y.applyUpdate(doc, u)
  return doc
}

describe('outbox order and missing-dependency retries', () => {
  it('sends the outbox in order before a write made during the reconnect; nothing is refused or lost', async () => {
    const identity = Identity.generate()
    const storage = new SlowOutboxStorage()
    // Three versions of the profile written offline: each supersedes (deletes) the one before.
    const offline = await openClient(identity, storage)
    for (const name of ['one', 'two', 'three']) await offline.setProfile({ name })
    await offline.close()
    expect((await storage.outbox()).map((e) => e.seq)).toEqual([1, 2, 3])

    const net = new SimNetwork({ seed: 3 })
    const relay = new MemoryRelay({ name: 'empty', network: net })
    const transport = new RecordingTransport(new MemoryTransport({ network: net, relay, identity }))
    const client = await openClient(identity, storage, [transport])
    storage.hold() // the outbox read on open is slow
    await net.run() // connected: the outbox is being read
    await client.setProfile({ name: 'four' }) // durable while the outbox read waits
    await net.run()
    storage.release()
    await quiet(net, client)

    expect(transport.outboxRefs).toEqual([1, 2, 3, 4])
    expect(transport.errors).toEqual([])
    expect(client.syncStatus().current).toMatchObject({ online: true, pending: 0, refused: 0 })
    expect(await storage.outbox()).toEqual([])
    const names = resolveVersions(listEntries(relay.doc(userDocId(identity.userId))!)).map(
      (e) => (e.value as { body: { name?: string } }).body.name,
    )
    expect(names).toEqual(['four'])
  })

  it('keeps an entry refused for a missing dependency, repairs the relay and resends it', async () => {
    const identity = Identity.generate()
    const storage = new MemoryStorage()
    const net = new SimNetwork({ seed: 4 })
    // Version 1 reaches relay A and is acknowledged (it leaves the outbox).
    const relayA = new MemoryRelay({ name: 'a', network: net })
    const first = await openClient(identity, storage, [
      new MemoryTransport({ network: net, relay: relayA, identity }),
    ])
    await first.setProfile({ name: 'v1' })
    await quiet(net, first)
    expect(await storage.outbox()).toEqual([])
    await first.close()
    // Version 2, written offline, supersedes (deletes) version 1.
    const offline = await openClient(identity, storage)
    await offline.setProfile({ name: 'v2' })
    await offline.close()
    expect(await storage.outbox()).toHaveLength(1)

    // Relay B never had version 1: version 2 alone is refused as missing-dependency.
    const relayB = new MemoryRelay({ name: 'b', network: net })
    const transport = new RecordingTransport(
      new MemoryTransport({ network: net, relay: relayB, identity }),
    )
    const client = await openClient(identity, storage, [transport])
    await quiet(net, client)

    expect(transport.errors.map((e) => e.rule)).toEqual(['missing-dependency'])
    expect(client.syncStatus().current).toMatchObject({ pending: 0, refused: 0 })
    expect(await storage.outbox()).toEqual([])
    // The repair gave relay B version 1 (deleted), then version 2 was resent and acknowledged.
    const docId = userDocId(identity.userId)
    expect(recordsJson(relayB.doc(docId))).toEqual(recordsJson(await storedDoc(storage, docId)))
    expect(Y.encodeStateVector(relayB.doc(docId)!)).toEqual(
      Y.encodeStateVector(await storedDoc(storage, docId)),
    )
    // The document opened for the retry is released again.
    expect(client.stats().openDocs).toBe(0)
  })
})

describe('the repair step', () => {
  it('a relay that lost its data gets the author’s items and deletions back, never anyone else’s', async () => {
    const net = new SimNetwork({ seed: 5 })
    const alice = Identity.generate()
    const bob = Identity.generate()
    const aliceStorage = new MemoryStorage()
    const relayA = new MemoryRelay({ name: 'a', network: net })
    const a = await openClient(alice, aliceStorage, [
      new MemoryTransport({ network: net, relay: relayA, identity: alice }),
    ])
    const b = await openClient(bob, new MemoryStorage(), [
      new MemoryTransport({ network: net, relay: relayA, identity: bob }),
    ])
    const kept = await a.post('kept')
    const edited = await a.post('first text')
    const gone = await a.post('deleted')
    await a.editPost(edited, 'edited text')
    await a.deletePost(gone)
    await a.react(kept, '👍')
    const bobsComment = await b.comment(kept, 'from bob')
    await b.editComment(bobsComment, 'from bob, edited')
    await a.comment(kept, 'from alice')
    await quiet(net, a, b)
    const aThread = a.thread(kept)
    await aThread.ready
    await quiet(net, a, b)
    expect(aThread.current.comments).toHaveLength(2)
    aThread.close()
    await a.close()

    // Relay B lost everything (a fresh relay); Alice reconnects with the documents open.
    const relayB = new MemoryRelay({ name: 'b', network: net })
    const link = new MemoryTransport({ network: net, relay: relayB, identity: alice })
    const transport = new RecordingTransport(link)
    const timers = new ManualTimers()
    const again = await openClient(alice, aliceStorage, [transport], timers)
    const posts = again.posts(alice.userId)
    const thread = again.thread(kept)
    await Promise.all([posts.ready, thread.ready])
    await quiet(net, again)

    expect(transport.errors).toEqual([])
    expect(transport.outboxRefs).toEqual([]) // nothing was pending: it all came from repairs
    expect(transport.sent.length).toBeGreaterThan(0)
    expect(transport.acks.length).toBe(transport.sent.length)
    expect(again.syncStatus().current).toMatchObject({ pending: 0, refused: 0 })
    // Her documents are whole again on relay B, deletions included.
    for (const docId of [userDocId(alice.userId), postsDocId(alice.userId, monthOf(jan))]) {
      const mine = await storedDoc(aliceStorage, docId)
      expect(recordsJson(relayB.doc(docId)), docId).toEqual(recordsJson(mine))
      expect(Y.equalSnapshots(Y.snapshot(relayB.doc(docId)!), Y.snapshot(mine)), docId).toBe(true)
    }
    // The thread holds her reaction and comment, and none of Bob's items.
    const onB = resolveVersions(listEntries(relayB.doc(threadDocId(alice.userId, kept.postId))!))
    expect(onB.map((e) => e.parsed.author)).toEqual([alice.userId, alice.userId])
    expect(onB.map((e) => (e.value as { type: string }).type).sort()).toEqual([
      'comment',
      'reaction',
    ])

    // A reader on relay B sees her posts again.
    const reader = await openClient(Identity.generate(), new MemoryStorage(), [
      new MemoryTransport({ network: net, relay: relayB, identity: Identity.generate() }),
    ])
    const view = reader.posts(alice.userId)
    await view.ready
    await quiet(net, reader)
    await quiet(net, reader)
    expect(view.current.posts.map((p) => p.text).sort()).toEqual(['edited text', 'kept'])

    // Reconnecting to a relay that has everything sends nothing.
    const sentBefore = transport.sent.length
    net.cut(link.link)
    net.restore(link.link)
    timers.fireAll()
    await quiet(net, again)
    expect(again.syncStatus().current.online).toBe(true)
    expect(transport.sent.length).toBe(sentBefore)
    expect(transport.errors).toEqual([])
  })

  it('builds only the author’s items the relay lacks and deletions it does not hold; null when none', async () => {
    const me = Identity.generate()
    const other = Identity.generate()
    const docId = threadDocId(me.userId, 'p1')
    const mine = new Y.Doc({ gc: false })
    const twin = new Y.Doc({ gc: false }) // my second device
    const theirs = new Y.Doc({ gc: false })
    const sync = (from: Y.Doc, to: Y.Doc) =>
      Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))
    writeRecords(mine, docId, me, [{ type: 'comment', id: 'c1', body: { text: 'a' } }], jan)
    writeRecords(theirs, docId, other, [{ type: 'comment', id: 'o1', body: { text: 'x' } }], jan)
    sync(theirs, mine)
    // The relay has this much: my c1 and their o1.
    const relay = new Y.Doc({ gc: false })
    sync(mine, relay)
    const relayUpdate = Y.encodeStateAsUpdate(relay)
    // Then: my edit (deletes c1 v1), my twin's comment, their edit (deletes o1 v1).
    writeRecords(mine, docId, me, [{ type: 'comment', id: 'c1', body: { text: 'b' } }], jan)
    sync(mine, twin)
    writeRecords(twin, docId, me, [{ type: 'comment', id: 'c2', body: { text: 'c' } }], jan)
    sync(twin, mine)
    sync(mine, theirs)
    writeRecords(theirs, docId, other, [{ type: 'comment', id: 'o1', body: { text: 'y' } }], jan)
    sync(theirs, mine)

    const state = relayDocState(Y.encodeStateVector(relay), relayUpdate)
    const update = repairUpdate(mine, me.userId, state)
    expect(update).not.toBeNull()
    // The guard accepts it from me, and it carries nothing of theirs.
    const verdict = await checkUpdate(docId, relay, update!, {
      uploader: me.userId,
      verifier: new RecordVerifier(),
    })
    expect(verdict).toMatchObject({ ok: true, changed: true })
    const decoded = Y.decodeUpdate(update!)
    expect(new Set(decoded.structs.map((s) => s.id.client))).toEqual(
      new Set([mine.clientID, twin.clientID]),
    )
    expect([...decoded.ds.clients.keys()]).toEqual([mine.clientID])
    Y.applyUpdate(relay, update!)
    const authors = (doc: Y.Doc) =>
      resolveVersions(listEntries(doc))
        .filter((e) => e.parsed.author === me.userId)
        .map((e) => JSON.stringify(e.value))
        .sort()
    expect(authors(relay)).toEqual(authors(mine))
    expect(Y.getState(relay.store, theirs.clientID)).toBeLessThan(
      Y.getState(mine.store, theirs.clientID),
    )

    // Now the relay has all of mine: nothing to send.
    const after = relayDocState(Y.encodeStateVector(relay), Y.encodeStateAsUpdate(relay))
    expect(repairUpdate(mine, me.userId, after)).toBeNull()
    // An update already on its way counts as held by the relay.
    const before = relayDocState(Y.encodeStateVector(new Y.Doc()), new Uint8Array([0, 0]))
    expect(repairUpdate(mine, me.userId, before)).not.toBeNull()
    addInFlight(before, Y.encodeStateAsUpdate(relay))
    expect(repairUpdate(mine, me.userId, before)).toBeNull()
  })
})
