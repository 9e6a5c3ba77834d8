/**
 * Two clients converge through one relay process: writes are acknowledged
 * once durable, forwarded live to the other subscriber, and survive a
 * restart. Nothing is served before AUTH.
 */
import { CloseCodes, Identity, MessageTypes, postsDocId, threadDocId } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RawClient, readDocs } from './helpers/RawClient.js'
import { liveIds, write } from './helpers/records.js'
import { killAllRelays, spawnRelay, tempDir } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const alice = Identity.generate()
const bob = Identity.generate()
const posts = postsDocId(alice.userId, '2026-01')
const thread = threadDocId(alice.userId, 'p1')

describe('relay: two clients', () => {
  it('converge through one relay, live and after a restart', async () => {
    const data = tempDir()
    const relay = await spawnRelay({ data })
    const a = await RawClient.open(relay.url, alice)
    const b = await RawClient.open(relay.url, bob)
    const empty = Y.encodeStateVector(new Y.Doc())
    await a.subscribe([
      { docId: posts, stateVector: empty },
      { docId: thread, stateVector: empty },
    ])
    await b.subscribe([
      { docId: posts, stateVector: empty },
      { docId: thread, stateVector: empty },
    ])

    const aDoc = new Y.Doc()
    const bDoc = new Y.Doc()
    const post = write(aDoc, posts, alice, [{ type: 'post', id: 'p1', body: { text: 'hello' } }])
    expect(await a.write(posts, post.update)).toEqual({ ok: true })
    const pushed = await b.take(
      (m) => m.type === MessageTypes.Update && m.docId === posts,
      'the forwarded post',
    )
    if (pushed.type !== MessageTypes.Update) throw new Error('unreachable')
    expect(pushed.ref).toBe(0)
    Y.applyUpdate(bDoc, pushed.update)
    expect(liveIds(bDoc)).toEqual(new Set([`${alice.userId}/p1`]))

    const tDocA = new Y.Doc()
    const tDocB = new Y.Doc()
    const c1 = write(tDocB, thread, bob, [{ type: 'comment', id: 'c1', body: { text: 'hi' } }])
    const c2 = write(tDocA, thread, alice, [{ type: 'comment', id: 'c2', body: { text: 'yo' } }])
    const [r1, r2] = await Promise.all([b.write(thread, c1.update), a.write(thread, c2.update)])
    expect(r1).toEqual({ ok: true })
    expect(r2).toEqual({ ok: true })
    const toA = await a.take((m) => m.type === MessageTypes.Update && m.docId === thread, 'c1 at a')
    const toB = await b.take((m) => m.type === MessageTypes.Update && m.docId === thread, 'c2 at b')
    if (toA.type !== MessageTypes.Update || toB.type !== MessageTypes.Update) throw new Error()
    Y.applyUpdate(tDocA, toA.update)
    Y.applyUpdate(tDocB, toB.update)
    expect(liveIds(tDocA)).toEqual(liveIds(tDocB))
    expect(liveIds(tDocA).size).toBe(2)
    // the writer is not sent its own update back
    await a.ping()
    expect(a.inbox.filter((m) => m.type === MessageTypes.Update && m.docId === posts)).toEqual([])
    await a.close()
    await b.close()

    expect((await relay.kill('SIGTERM')).code).toBe(0)
    const again = await spawnRelay({ data })
    expect(again.publicKey).toBe(relay.publicKey)
    expect(again.epoch).toBe(relay.epoch)
    const docs = await readDocs(again.url, [posts, thread])
    expect(liveIds(docs.get(posts)!)).toEqual(new Set([`${alice.userId}/p1`]))
    expect(liveIds(docs.get(thread)!)).toEqual(liveIds(tDocA))
  })

  it('serves nothing before AUTH: a SUBSCRIBE without it gets the error and a close, never data', async () => {
    const relay = await spawnRelay()
    const writer = await RawClient.open(relay.url, alice)
    const post = write(new Y.Doc(), posts, alice, [{ type: 'post', id: 'x', body: { text: 'x' } }])
    expect(await writer.write(posts, post.update)).toEqual({ ok: true })
    const anonymous = await RawClient.connect(relay.url)
    await anonymous.hello()
    anonymous.send({
      type: MessageTypes.Subscribe,
      subscriptions: [{ docId: posts, stateVector: new Uint8Array([0]) }],
    })
    expect((await anonymous.closed).code).toBe(CloseCodes.AuthFailed)
    expect(anonymous.inbox.map((m) => m.type)).toEqual([MessageTypes.Error])
    expect(anonymous.inbox[0]).toMatchObject({ code: 'unauthenticated' })
    // a reader with a key of its own reads, and an edit by the writer reaches it live
    const reader = await RawClient.open(relay.url, Identity.generate())
    const [synced] = await reader.subscribe([{ docId: posts, stateVector: new Uint8Array([0]) }])
    expect(synced?.docs).toHaveLength(1)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, post.update)
    const edit = write(doc, posts, alice, [{ type: 'post', id: 'x', body: { text: 'y' } }])
    expect(await writer.write(posts, edit.update)).toEqual({ ok: true })
    await reader.take((m) => m.type === MessageTypes.Update, 'the edit')
  })
})
