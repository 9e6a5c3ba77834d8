import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { type DocId, roomDocId, threadDocId, userDocId } from '../src/docIds.js'
import { Identity } from '../src/Identity.js'
import { listEntries, type RecordWrite, writeRecords } from '../src/recordMap.js'
import { MemoryRelay } from '../src/transport/MemoryRelay.js'
import { MemoryTransport } from '../src/transport/MemoryTransport.js'
import { authMessage, type RelayFrame } from '../src/transport/memoryProtocol.js'
import { SimNetwork } from '../src/transport/SimNetwork.js'
import type {
  RelayError,
  TransportCloseInfo,
  TransportHandler,
} from '../src/transport/Transport.js'

/** Everything a transport reported, with the network's delivery count at each event. */
class Recorder implements TransportHandler {
  opens: string[] = []
  closes: string[] = []
  synced: { docId: DocId; update: Uint8Array; stateVector: Uint8Array; delivery: number }[] = []
  updates: { docId: DocId; update: Uint8Array }[] = []
  acks: { docId: DocId; ref: number }[] = []
  errors: RelayError[] = []
  caughtUp: DocId[][] = []
  awareness: { docId: DocId; payload: Uint8Array }[] = []
  closeInfos: TransportCloseInfo[] = []
  constructor(
    readonly net: SimNetwork,
    readonly onAckHook?: (docId: DocId, ref: number) => void,
  ) {}
  onOpen(relay: string) {
    this.opens.push(relay)
  }
  onClose(reason: string, info: TransportCloseInfo) {
    this.closes.push(reason)
    this.closeInfos.push(info)
  }
  onCaughtUp(docIds: readonly DocId[]) {
    this.caughtUp.push([...docIds])
  }
  onAwareness(docId: DocId, payload: Uint8Array) {
    this.awareness.push({ docId, payload })
  }
  onSynced(docId: DocId, update: Uint8Array, stateVector: Uint8Array) {
    this.synced.push({ docId, update, stateVector, delivery: this.net.delivered })
  }
  onUpdate(docId: DocId, update: Uint8Array) {
    this.updates.push({ docId, update })
  }
  onAck(docId: DocId, ref: number) {
    this.onAckHook?.(docId, ref)
    this.acks.push({ docId, ref })
  }
  onError(error: RelayError) {
    this.errors.push(error)
  }
}

/** Writes records into a local doc and returns the update the write produced. */
function write(
  doc: Y.Doc,
  docId: DocId,
  identity: Identity,
  writes: readonly RecordWrite[],
  at = 1_750_000_000_000,
): Uint8Array {
  const updates: Uint8Array[] = []
  const listener = (u: Uint8Array) => updates.push(u)
  doc.on('update', listener)
  writeRecords(doc, docId, identity, writes, at)
  doc.off('update', listener)
  return Y.mergeUpdates(updates)
}

function comment(id: string, text: string): RecordWrite {
  return { type: 'comment', id, body: { text } }
}

async function connected(
  net: SimNetwork,
  relay: MemoryRelay,
  identity: Identity,
  onAck?: (docId: DocId, ref: number) => void,
) {
  const transport = new MemoryTransport({ network: net, relay, identity })
  const rec = new Recorder(net, onAck)
  transport.connect(rec)
  await net.run()
  expect(transport.state).toBe('open')
  return { transport, rec }
}

function setup(options: { duplicate?: number } = {}) {
  const net = new SimNetwork({ seed: 42, duplicate: options.duplicate ?? 0 })
  const relay = new MemoryRelay({ name: 'relay-a', network: net })
  return { net, relay }
}

describe('MemoryTransport + MemoryRelay', () => {
  it('opens through a signed challenge: connecting -> open, onOpen(relay name)', async () => {
    const { net, relay } = setup()
    const alice = Identity.generate()
    const transport = new MemoryTransport({ network: net, relay, identity: alice })
    const rec = new Recorder(net)
    expect(transport.state).toBe('closed')
    transport.connect(rec)
    expect(transport.state).toBe('connecting')
    await net.run()
    expect(transport.state).toBe('open')
    expect(rec.opens).toEqual(['relay-a'])
    expect(relay.clientCount).toBe(1)
    transport.disconnect()
    expect(transport.state).toBe('closed')
    expect(rec.closes).toHaveLength(1)
    expect(rec.closeInfos).toEqual([{ retry: false }])
    await net.run()
    expect(relay.clientCount).toBe(0)
  })

  it('refuses a connection claiming a user whose key it does not hold', async () => {
    const { net, relay } = setup()
    const alice = Identity.generate()
    const mallory = Identity.generate()
    const link = net.link('mallory')
    const frames: RelayFrame[] = []
    const session = relay.accept(link, (f) => link.send('down', () => frames.push(f)))
    link.send('up', () => session.receive({ t: 'hello', userId: alice.userId }))
    await net.run()
    const challenge = frames.find((f) => f.t === 'challenge')
    if (challenge?.t !== 'challenge') throw new Error('no challenge')
    const signature = mallory.sign(authMessage('relay-a', challenge.nonce))
    link.send('up', () => session.receive({ t: 'auth', signature }))
    await net.run()
    expect(frames.map((f) => f.t)).toEqual(['challenge', 'error', 'close'])
    expect(frames[1]).toMatchObject({ error: { code: 'unauthenticated' } })
    expect(relay.clientCount).toBe(0)
    // Nothing is accepted on that session afterwards.
    const doc = new Y.Doc()
    const update = write(doc, userDocId(alice.userId), mallory, [])
    link.send('up', () =>
      session.receive({ t: 'update', docId: userDocId(alice.userId), update, ref: 1 }),
    )
    await net.run()
    expect(frames).toHaveLength(3)
  })

  it('answers a batch subscription of many documents in one batch', async () => {
    const { net, relay } = setup()
    const alice = Identity.generate()
    const bob = Identity.generate()
    const a = await connected(net, relay, alice)
    const docIds = Array.from({ length: 60 }, (_, i) => threadDocId(alice.userId, `post${i}`))
    const aliceDocs = docIds.map(() => new Y.Doc())
    for (let i = 0; i < docIds.length; i += 2) {
      a.transport.sendUpdate(
        docIds[i]!,
        write(aliceDocs[i]!, docIds[i]!, alice, [comment(`c${i}`, `hello ${i}`)]),
        i,
      )
    }
    await net.run()
    expect(a.rec.acks).toHaveLength(30)
    expect(a.rec.errors).toEqual([])

    const b = await connected(net, relay, bob)
    const bobDocs = docIds.map(() => new Y.Doc())
    const deliveredBefore = net.delivered
    b.transport.subscribe(
      docIds.map((docId, i) => ({ docId, stateVector: Y.encodeStateVector(bobDocs[i]!) })),
    )
    await net.run()
    expect(net.delivered - deliveredBefore).toBe(2) // one subscribe, one synced batch
    expect(b.rec.synced.map((s) => s.docId)).toEqual(docIds)
    expect(new Set(b.rec.synced.map((s) => s.delivery)).size).toBe(1)
    expect(b.rec.caughtUp).toEqual([docIds])
    for (const [i, s] of b.rec.synced.entries()) {
      Y.applyUpdate(bobDocs[i]!, s.update)
      expect(Y.encodeStateVector(bobDocs[i]!)).toEqual(s.stateVector)
      expect(Y.encodeStateVector(bobDocs[i]!)).toEqual(Y.encodeStateVector(aliceDocs[i]!))
    }
    expect(listEntries(bobDocs[0]!)).toHaveLength(1)
    expect(listEntries(bobDocs[1]!)).toHaveLength(0)
  })

  it('acknowledges an update only once it is stored', async () => {
    const net = new SimNetwork({ seed: 7 })
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const storing: DocId[] = []
    const relay = new MemoryRelay({
      name: 'relay-a',
      network: net,
      async store(docId) {
        storing.push(docId)
        await held
      },
    })
    const alice = Identity.generate()
    const logAtAck: number[] = []
    const a = await connected(net, relay, alice, (docId) => logAtAck.push(relay.log(docId).length))
    const docId = userDocId(alice.userId)
    const doc = new Y.Doc()
    a.transport.sendUpdate(
      docId,
      write(doc, docId, alice, [{ type: 'profile', id: 'profile', body: { name: 'Alice' } }]),
      1,
    )
    for (let i = 0; i < 200 && storing.length === 0; i++) {
      while (net.step()) {}
      await new Promise<void>((r) => setTimeout(r, 1))
    }
    while (net.step()) {}
    expect(storing).toEqual([docId])
    expect(a.rec.acks).toEqual([])
    expect(relay.log(docId)).toHaveLength(0)
    release()
    await net.run()
    expect(a.rec.acks).toEqual([{ docId, ref: 1 }])
    expect(logAtAck).toEqual([1])
  })

  it('refuses a bad update with the rule: nothing stored or forwarded, connection usable', async () => {
    const { net, relay } = setup()
    const alice = Identity.generate()
    const bob = Identity.generate()
    const a = await connected(net, relay, alice)
    const b = await connected(net, relay, bob)
    const docId = userDocId(alice.userId)
    a.transport.subscribe([{ docId, stateVector: Y.encodeStateVector(new Y.Doc()) }])
    await net.run()
    // Bob writes a profile into Alice's profile document.
    const forged = write(new Y.Doc(), docId, bob, [
      { type: 'profile', id: 'profile', body: { name: 'not Alice' } },
    ])
    b.transport.sendUpdate(docId, forged, 7)
    // And garbage.
    b.transport.sendUpdate(docId, new Uint8Array([1, 2, 3, 250]), 8)
    await net.run()
    expect(b.rec.acks).toEqual([])
    expect(b.rec.errors).toHaveLength(2)
    expect(b.rec.errors[0]).toMatchObject({ code: 'refused', docId, ref: 7 })
    expect(b.rec.errors[0]!.rule).toEqual(expect.any(String))
    expect(b.rec.errors[0]!.message).toEqual(expect.any(String))
    expect(b.rec.errors[1]).toMatchObject({ docId, ref: 8 })
    expect(relay.log(docId)).toHaveLength(0)
    expect(listEntries(relay.doc(docId)!)).toHaveLength(0)
    expect(a.rec.updates).toEqual([])
    // The connection still works.
    const bobDoc = userDocId(bob.userId)
    b.transport.sendUpdate(
      bobDoc,
      write(new Y.Doc(), bobDoc, bob, [{ type: 'profile', id: 'profile', body: { name: 'Bob' } }]),
      9,
    )
    await net.run()
    expect(b.rec.acks).toEqual([{ docId: bobDoc, ref: 9 }])
    expect(b.transport.state).toBe('open')
  })

  it('forwards to the other subscribers only, and only what changed; unsubscribe stops it', async () => {
    const { net, relay } = setup()
    const [alice, bob, carol] = [Identity.generate(), Identity.generate(), Identity.generate()]
    const a = await connected(net, relay, alice)
    const b = await connected(net, relay, bob)
    const c = await connected(net, relay, carol)
    const docId = threadDocId(alice.userId, 'p1')
    const empty = Y.encodeStateVector(new Y.Doc())
    a.transport.subscribe([{ docId, stateVector: empty }])
    b.transport.subscribe([{ docId, stateVector: empty }])
    await net.run()
    const aliceDoc = new Y.Doc()
    const first = write(aliceDoc, docId, alice, [comment('c1', 'first')])
    a.transport.sendUpdate(docId, first, 1)
    await net.run()
    expect(a.rec.acks).toEqual([{ docId, ref: 1 }])
    expect(a.rec.updates).toEqual([])
    expect(c.rec.updates).toEqual([])
    expect(b.rec.updates).toHaveLength(1)
    const bobDoc = new Y.Doc()
    Y.applyUpdate(bobDoc, b.rec.updates[0]!.update)
    expect(Y.encodeStateVector(bobDoc)).toEqual(Y.encodeStateVector(aliceDoc))
    // Re-sending is acknowledged and changes nothing, so nothing is forwarded.
    a.transport.sendUpdate(docId, first, 2)
    await net.run()
    expect(a.rec.acks).toHaveLength(2)
    expect(b.rec.updates).toHaveLength(1)
    expect(relay.log(docId)).toHaveLength(1)
    // An edit (new version + deletion of the old one) reaches Bob.
    a.transport.sendUpdate(docId, write(aliceDoc, docId, alice, [comment('c1', 'edited')]), 3)
    await net.run()
    expect(b.rec.updates).toHaveLength(2)
    Y.applyUpdate(bobDoc, b.rec.updates[1]!.update)
    expect(listEntries(bobDoc).map((e) => (e.value as { body: unknown }).body)).toEqual([
      { text: 'edited' },
    ])
    b.transport.unsubscribe([docId])
    await net.run()
    a.transport.sendUpdate(docId, write(aliceDoc, docId, alice, [comment('c2', 'more')]), 4)
    await net.run()
    expect(a.rec.acks).toHaveLength(4)
    expect(b.rec.updates).toHaveLength(2)
  })

  it('refuses new records from users the owner blocked, in the owner thread only', async () => {
    const { net, relay } = setup()
    const [alice, bob, carol] = [Identity.generate(), Identity.generate(), Identity.generate()]
    const a = await connected(net, relay, alice)
    const b = await connected(net, relay, bob)
    const aliceUser = new Y.Doc()
    const uDoc = userDocId(alice.userId)
    a.transport.sendUpdate(
      uDoc,
      write(aliceUser, uDoc, alice, [{ type: 'block', id: bob.userId, body: {} }]),
      1,
    )
    await net.run()
    expect(relay.blockedBy(alice.userId)).toEqual(new Set([bob.userId]))
    const aliceThread = threadDocId(alice.userId, 'p1')
    const carolThread = threadDocId(carol.userId, 'p1')
    const bobDoc = new Y.Doc()
    b.transport.sendUpdate(aliceThread, write(bobDoc, aliceThread, bob, [comment('c', 'hi')]), 1)
    b.transport.sendUpdate(
      carolThread,
      write(new Y.Doc(), carolThread, bob, [comment('c', 'hi')]),
      2,
    )
    await net.run()
    expect(b.rec.errors).toHaveLength(1)
    expect(b.rec.errors[0]).toMatchObject({ code: 'refused', docId: aliceThread, ref: 1 })
    expect(b.rec.acks).toEqual([{ docId: carolThread, ref: 2 }])
    expect(relay.log(aliceThread)).toHaveLength(0)
    // Unblocking (a tombstone version of the block) lets Bob write again.
    a.transport.sendUpdate(
      uDoc,
      write(aliceUser, uDoc, alice, [{ type: 'block', id: bob.userId, body: { deleted: true } }]),
      2,
    )
    await net.run()
    expect(relay.blockedBy(alice.userId).size).toBe(0)
    const retry = write(new Y.Doc(), aliceThread, bob, [comment('c2', 'hi again')])
    b.transport.sendUpdate(aliceThread, retry, 3)
    await net.run()
    expect(b.rec.acks).toContainEqual({ docId: aliceThread, ref: 3 })
  })

  it('reports bad document ids and still answers the good ones', async () => {
    const { net, relay } = setup()
    const alice = Identity.generate()
    const a = await connected(net, relay, alice)
    const good = userDocId(alice.userId)
    const empty = Y.encodeStateVector(new Y.Doc())
    a.transport.subscribe([
      { docId: 'x/nope', stateVector: empty },
      { docId: good, stateVector: empty },
    ])
    a.transport.sendUpdate('u/short', new Uint8Array([0, 0]), 5)
    await net.run()
    expect(a.rec.errors).toEqual([
      expect.objectContaining({ code: 'bad-doc-id', docId: 'x/nope' }),
      expect.objectContaining({ code: 'bad-doc-id', docId: 'u/short', ref: 5 }),
    ])
    expect(a.rec.synced.map((s) => s.docId)).toEqual([good])
    // The answer is complete for both: the refused one was reported first.
    expect(a.rec.caughtUp).toEqual([['x/nope', good]])
  })

  it('answers every subscribe in order, also one with nothing valid: one caught-up each', async () => {
    const { net, relay } = setup()
    const alice = Identity.generate()
    const a = await connected(net, relay, alice)
    const empty = Y.encodeStateVector(new Y.Doc())
    a.transport.subscribe([{ docId: 'x/nope', stateVector: empty }])
    a.transport.subscribe([{ docId: userDocId(alice.userId), stateVector: empty }])
    await net.run()
    expect(a.rec.caughtUp).toEqual([['x/nope'], [userDocId(alice.userId)]])
    expect(a.rec.synced.map((s) => s.docId)).toEqual([userDocId(alice.userId)])
  })

  it('relays awareness to the other subscribers of the document only, and stores nothing', async () => {
    const { net, relay } = setup()
    const [alice, bob, carol] = [Identity.generate(), Identity.generate(), Identity.generate()]
    const a = await connected(net, relay, alice)
    const b = await connected(net, relay, bob)
    const c = await connected(net, relay, carol)
    const room = roomDocId(alice.userId, 'lobby')
    const empty = Y.encodeStateVector(new Y.Doc())
    a.transport.subscribe([{ docId: room, stateVector: empty }])
    b.transport.subscribe([{ docId: room, stateVector: empty }])
    await net.run()
    a.transport.sendAwareness(room, new Uint8Array([1, 2]))
    c.transport.sendAwareness(room, new Uint8Array([3]))
    await net.run()
    expect(b.rec.awareness).toEqual([{ docId: room, payload: new Uint8Array([1, 2]) }])
    expect(a.rec.awareness).toEqual([])
    expect(c.rec.awareness).toEqual([])
    expect(c.rec.errors).toEqual([expect.objectContaining({ code: 'not-subscribed', docId: room })])
    expect(relay.log(room)).toHaveLength(0)
  })

  it('a cut drops in-flight messages and closes; a connect waits for restore', async () => {
    const { net, relay } = setup()
    const alice = Identity.generate()
    const a = await connected(net, relay, alice)
    const docId = userDocId(alice.userId)
    const doc = new Y.Doc()
    const update = write(doc, docId, alice, [
      { type: 'profile', id: 'profile', body: { name: 'A' } },
    ])
    a.transport.sendUpdate(docId, update, 1)
    expect(net.pending).toBe(1)
    net.cut(a.transport.link)
    expect(net.pending).toBe(0)
    expect(a.transport.state).toBe('closed')
    expect(a.rec.closes).toEqual(['the link was cut'])
    expect(a.rec.closeInfos).toEqual([{ retry: true }])
    await net.run()
    expect(relay.log(docId)).toHaveLength(0)
    expect(relay.clientCount).toBe(0)
    a.transport.connect(a.rec)
    await net.run()
    expect(a.transport.state).toBe('connecting')
    net.restore(a.transport.link)
    a.transport.subscribe([{ docId, stateVector: Y.encodeStateVector(doc) }])
    a.transport.sendUpdate(docId, update, 2)
    await net.run()
    expect(a.transport.state).toBe('open')
    expect(a.rec.opens).toEqual(['relay-a', 'relay-a'])
    expect(a.rec.acks).toEqual([{ docId, ref: 2 }])
    expect(a.rec.synced).toHaveLength(1)
    expect(relay.log(docId)).toHaveLength(1)
  })

  it('duplicated deliveries of updates are harmless', async () => {
    const { net, relay } = setup({ duplicate: 1 })
    const [alice, bob] = [Identity.generate(), Identity.generate()]
    const a = await connected(net, relay, alice)
    const b = await connected(net, relay, bob)
    const docId = threadDocId(alice.userId, 'p')
    b.transport.subscribe([{ docId, stateVector: Y.encodeStateVector(new Y.Doc()) }])
    await net.run()
    const aliceDoc = new Y.Doc()
    for (let i = 0; i < 5; i++) {
      a.transport.sendUpdate(docId, write(aliceDoc, docId, alice, [comment('c', `v${i}`)]), i)
    }
    await net.run()
    expect(net.duplicated).toBeGreaterThanOrEqual(5)
    expect(b.rec.updates.length).toBe(10)
    const bobDoc = new Y.Doc()
    for (const u of b.rec.updates) Y.applyUpdate(bobDoc, u.update)
    expect(Y.encodeStateAsUpdate(bobDoc)).toEqual(Y.encodeStateAsUpdate(aliceDoc))
    expect(listEntries(bobDoc)).toHaveLength(1)
  })

  it('auto mode delivers without stepping', async () => {
    const net = new SimNetwork({ auto: true })
    const relay = new MemoryRelay({ name: 'r', network: net })
    const alice = Identity.generate()
    const transport = new MemoryTransport({ network: net, relay, identity: alice })
    const opened = new Promise<string>((resolve) => {
      const rec = new Recorder(net)
      rec.onOpen = resolve
      transport.connect(rec)
    })
    expect(await opened).toBe('r')
  })

  it('linked relays replicate live, keep accepting writes when cut, and heal', async () => {
    const net = new SimNetwork({ seed: 3 })
    const r1 = new MemoryRelay({ name: 'r1', network: net })
    const r2 = new MemoryRelay({ name: 'r2', network: net })
    const peerLink = r1.peer(r2)
    const [alice, bob] = [Identity.generate(), Identity.generate()]
    const a = await connected(net, r1, alice)
    const b = await connected(net, r2, bob)
    const docId = threadDocId(alice.userId, 'p')
    b.transport.subscribe([{ docId, stateVector: Y.encodeStateVector(new Y.Doc()) }])
    await net.run()
    const aliceDoc = new Y.Doc()
    a.transport.sendUpdate(docId, write(aliceDoc, docId, alice, [comment('a1', 'from r1')]), 1)
    await net.run()
    expect(b.rec.updates).toHaveLength(1)
    net.cut(peerLink)
    const bobDoc = new Y.Doc()
    Y.applyUpdate(bobDoc, b.rec.updates[0]!.update)
    a.transport.sendUpdate(docId, write(aliceDoc, docId, alice, [comment('a2', 'offline 1')]), 2)
    b.transport.sendUpdate(docId, write(bobDoc, docId, bob, [comment('b1', 'offline 2')]), 1)
    const profile = userDocId(bob.userId)
    b.transport.sendUpdate(
      profile,
      write(new Y.Doc(), profile, bob, [{ type: 'profile', id: 'profile', body: { name: 'B' } }]),
      2,
    )
    await net.run()
    expect(a.rec.acks).toHaveLength(2)
    expect(b.rec.acks).toHaveLength(2)
    expect(r1.doc(profile)).toBeUndefined()
    expect(listEntries(r1.doc(docId)!)).toHaveLength(2)
    net.restore(peerLink)
    await net.run()
    for (const id of [docId, profile]) {
      expect(Y.encodeStateAsUpdate(r1.doc(id)!)).toEqual(Y.encodeStateAsUpdate(r2.doc(id)!))
    }
    expect(listEntries(r2.doc(docId)!)).toHaveLength(3)
    expect(r1.peerRefused + r2.peerRefused).toBe(0)
    expect([...r1.failures, ...r2.failures]).toEqual([])
  })
})
