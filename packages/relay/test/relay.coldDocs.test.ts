/**
 * Cold and hot documents over the wire, on real relay processes: a
 * document that is only read is served from its encoded state (no Y.Doc:
 * `/healthz` `documentsHot` and the `documents_materialized_total` metric
 * stay 0); a write to a cold document builds its replica and passes the
 * guard exactly as before (forgeries and blocked users refused, valid
 * writes stored and forwarded); documents that turn cold again while
 * subscribed, unload and load again, and survive a restart keep their
 * content identical.
 */
import { Identity, MessageTypes, postsDocId, threadDocId, userDocId } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { docDigest, readState, waitUntil } from './helpers/mesh.js'
import { RawClient } from './helpers/RawClient.js'
import { forge, liveIds, write } from './helpers/records.js'
import { killAllRelays, type SpawnedRelay, spawnRelay, tempDir } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const alice = Identity.generate()
const bob = Identity.generate()
const carol = Identity.generate()
const posts = postsDocId(alice.userId, '2026-03')
const thread = threadDocId(alice.userId, 'p1')
const profile = userDocId(alice.userId)
const empty = Y.encodeStateVector(new Y.Doc())

interface Figures {
  loaded: number
  hot: number
  materialized: number
}

async function figures(relay: SpawnedRelay): Promise<Figures> {
  const health = (await (await relay.get('/healthz')).json()) as {
    documentsLoaded: number
    documentsHot: number
  }
  const text = await (await relay.get('/metrics')).text()
  const line = text
    .split('\n')
    .find((l) => l.startsWith('feedmesh_relay_documents_materialized_total '))
  if (line === undefined) throw new Error('no documents_materialized_total metric')
  return {
    loaded: health.documentsLoaded,
    hot: health.documentsHot,
    materialized: Number(line.split(' ')[1]),
  }
}

/** Writes the honest state: two posts, bob's comment in alice's thread, alice blocks carol. */
async function seed(relay: SpawnedRelay): Promise<{ postDevice: Y.Doc; first: Uint8Array }> {
  const a = await RawClient.open(relay.url, alice)
  const b = await RawClient.open(relay.url, bob)
  const postDevice = new Y.Doc()
  const first = write(postDevice, posts, alice, [{ type: 'post', id: 'x', body: { text: '1' } }])
  expect(await a.write(posts, first.update)).toEqual({ ok: true })
  const second = write(postDevice, posts, alice, [{ type: 'post', id: 'y', body: { text: '2' } }])
  expect(await a.write(posts, second.update)).toEqual({ ok: true })
  const comment = write(new Y.Doc(), thread, bob, [
    { type: 'comment', id: 'c', body: { text: 'b' } },
  ])
  expect(await b.write(thread, comment.update)).toEqual({ ok: true })
  const block = write(new Y.Doc(), profile, alice, [{ type: 'block', id: carol.userId, body: {} }])
  expect(await a.write(profile, block.update)).toEqual({ ok: true })
  await a.close()
  await b.close()
  return { postDevice, first: first.update }
}

describe('relay: cold documents', () => {
  it('serves read-only documents without building a Y.Doc, and checks writes to them as before', async () => {
    const data = tempDir()
    const first = await spawnRelay({ data })
    const { postDevice, first: firstPost } = await seed(first)
    const written = await readState(first.url, [posts, thread, profile])
    expect((await first.kill('SIGTERM')).code).toBe(0)

    // a fresh process: every document loads cold
    const relay = await spawnRelay({ data })
    const reader = await RawClient.open(relay.url)
    const held = new Y.Doc()
    Y.applyUpdate(held, firstPost)
    const frames = await reader.subscribe([
      { docId: posts, stateVector: Y.encodeStateVector(held) },
      { docId: thread, stateVector: empty },
      { docId: profile, stateVector: empty },
    ])
    const entries = new Map(frames.flatMap((f) => f.docs).map((e) => [e.docId, e]))
    // a reader holding the first post gets the rest, and ends up with the same document
    Y.applyUpdate(held, entries.get(posts)!.update)
    expect(docDigest(held)).toBe(docDigest(written.get(posts)!))
    expect(Y.decodeStateVector(entries.get(posts)!.stateVector)).toEqual(
      Y.decodeStateVector(Y.encodeStateVector(written.get(posts)!)),
    )
    for (const docId of [thread, profile]) {
      const doc = new Y.Doc()
      Y.applyUpdate(doc, entries.get(docId)!.update)
      expect(docDigest(doc)).toBe(docDigest(written.get(docId)!))
    }
    expect(await figures(relay)).toEqual({ loaded: 3, hot: 0, materialized: 0 })

    // writes to the cold documents: the guard checks them against the same content
    const b = await RawClient.open(relay.url, bob)
    const c = await RawClient.open(relay.url, carol)
    const a = await RawClient.open(relay.url, alice)
    const forged = forge(postDevice, (_doc, records) => {
      records.set(`${alice.userId}/x/2/1`, { forged: true })
    })
    expect(await b.write(posts, forged)).toMatchObject({
      ok: false,
      error: { code: 'refused' },
    })
    const blocked = await c.write(
      thread,
      write(new Y.Doc(), thread, carol, [{ type: 'comment', id: 'c', body: { text: 'c' } }]).update,
    )
    expect(blocked).toMatchObject({ ok: false, error: { code: 'refused', rule: 'not-allowed' } })
    if (!blocked.ok) expect(blocked.error.message).toContain('blocked')
    // the block list was read from the cold u/ document without making it hot
    expect(await figures(relay)).toEqual({ loaded: 3, hot: 2, materialized: 2 })
    const third = write(postDevice, posts, alice, [{ type: 'post', id: 'z', body: { text: '3' } }])
    expect(await a.write(posts, third.update)).toEqual({ ok: true })
    // forwarded to the subscriber, exactly the new post
    const live = await reader.take(
      (m) => m.type === MessageTypes.Update && m.docId === posts,
      'the forwarded post',
    )
    if (live.type !== MessageTypes.Update) throw new Error('not an UPDATE')
    Y.applyUpdate(held, live.update)
    expect(liveIds(held)).toEqual(
      new Set([`${alice.userId}/x`, `${alice.userId}/y`, `${alice.userId}/z`]),
    )
    for (const client of [a, b, c, reader]) await client.close()
    expect((await relay.kill('SIGTERM')).code).toBe(0)

    // after a restart: exactly the honest writes, nothing refused
    const again = await spawnRelay({ data })
    const stored = await readState(again.url, [posts, thread, profile])
    expect(liveIds(stored.get(posts)!)).toEqual(
      new Set([`${alice.userId}/x`, `${alice.userId}/y`, `${alice.userId}/z`]),
    )
    expect(liveIds(stored.get(thread)!)).toEqual(new Set([`${bob.userId}/c`]))
    expect(docDigest(stored.get(profile)!)).toBe(docDigest(written.get(profile)!))
    expect(await figures(again)).toMatchObject({ hot: 0, materialized: 0 })
  })

  it('turns write-idle documents cold again; cool, unload and restart cycles keep the content', async () => {
    const data = tempDir()
    const relay = await spawnRelay({ data, args: ['--idle-unload-ms', '200'] })
    const subscriber = await RawClient.open(relay.url)
    await subscriber.subscribe([{ docId: posts, stateVector: empty }])
    const replica = new Y.Doc()
    const a = await RawClient.open(relay.url, alice)
    const device = new Y.Doc()
    const digests: string[] = []
    let materialized = 0
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) {
        const { update } = write(device, posts, alice, [
          { type: 'post', id: `r${round}i${i}`, body: { text: `${round}.${i}` } },
        ])
        expect(await a.write(posts, update)).toEqual({ ok: true })
      }
      // the first write of the round built the replica again
      const after = await figures(relay)
      expect(after.materialized).toBeGreaterThan(materialized)
      materialized = after.materialized
      // still subscribed, no longer written: cold again, still loaded
      await waitUntil(async () => (await figures(relay)).hot === 0, 'the document to cool')
      expect((await figures(relay)).loaded).toBeGreaterThanOrEqual(1)
      const read = await readState(relay.url, [posts])
      digests.push(docDigest(read.get(posts)!))
      expect(digests.at(-1)).toBe(docDigest(device))
    }
    // the subscriber got every write live, through hot and cold
    for (let n = 0; n < 9; n++) {
      const msg = await subscriber.take((m) => m.type === MessageTypes.Update, 'a forwarded update')
      if (msg.type === MessageTypes.Update) Y.applyUpdate(replica, msg.update)
    }
    expect(docDigest(replica)).toBe(docDigest(device))

    // nobody left: unloaded; loads again cold with the same content
    await a.close()
    await subscriber.close()
    await waitUntil(async () => (await figures(relay)).loaded === 0, 'the document to unload')
    expect(docDigest((await readState(relay.url, [posts])).get(posts)!)).toBe(docDigest(device))
    expect((await relay.kill('SIGTERM')).code).toBe(0)
    const again = await spawnRelay({ data })
    expect(docDigest((await readState(again.url, [posts])).get(posts)!)).toBe(docDigest(device))
    expect(liveIds((await readState(again.url, [posts])).get(posts)!).size).toBe(9)
  })
})
