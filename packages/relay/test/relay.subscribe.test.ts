/**
 * Batch subscription: catching up on 500 documents is one SUBSCRIBE and
 * one SYNCED frame (one round trip); a resume point of the relay's epoch
 * answers only what changed; an answer larger than the frame limit is
 * split with `more`; the per-connection document limit is enforced.
 */
import { Identity, MessageTypes, threadDocId } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RawClient } from './helpers/RawClient.js'
import { liveIds, write } from './helpers/records.js'
import { killAllRelays, spawnRelay } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const alice = Identity.generate()
const N = 500
const docIds = Array.from({ length: N }, (_, i) => threadDocId(alice.userId, `p${i}`))

async function fill(client: RawClient): Promise<void> {
  const refs = docIds.map((docId, i) =>
    client.update(
      docId,
      write(new Y.Doc(), docId, alice, [{ type: 'comment', id: 'c', body: { text: `n${i}` } }])
        .update,
    ),
  )
  const started = performance.now()
  const results = await Promise.all(refs.map((ref) => client.result(ref, 30_000)))
  expect(results.every((r) => r.ok)).toBe(true)
  console.info(
    `${N} writes to ${N} documents acknowledged in ${(performance.now() - started).toFixed(0)} ms`,
  )
}

describe('relay: batch subscribe', () => {
  it('answers 500 documents in one SYNCED frame, and resumes with only what changed', async () => {
    const relay = await spawnRelay()
    const writer = await RawClient.open(relay.url, alice)
    await fill(writer)

    const reader = await RawClient.open(relay.url)
    const empty = Y.encodeStateVector(new Y.Doc())
    const started = performance.now()
    const frames = await reader.subscribe(docIds.map((docId) => ({ docId, stateVector: empty })))
    const elapsed = performance.now() - started
    expect(frames).toHaveLength(1)
    const [synced] = frames
    expect(synced!.more).toBe(false)
    expect(synced!.docs.map((d) => d.docId).sort()).toEqual([...docIds].sort())
    expect(synced!.epoch).toBe(relay.epoch)
    expect(synced!.seq).toBe(N)
    for (const entry of synced!.docs) {
      const doc = new Y.Doc()
      Y.applyUpdate(doc, entry.update)
      expect(liveIds(doc)).toEqual(new Set([`${alice.userId}/c`]))
    }
    console.info(`SYNCED for ${N} documents in one round trip: ${elapsed.toFixed(1)} ms`)

    // resume with nothing changed: an empty answer
    const resumer = await RawClient.open(relay.url)
    const resume = { epoch: synced!.epoch, seq: synced!.seq }
    const none = await resumer.subscribe(
      docIds.map((docId) => ({ docId, stateVector: new Uint8Array(0) })),
      resume,
    )
    expect(none).toHaveLength(1)
    expect(none[0]!.docs).toEqual([])
    // one document changes: the resume answers it alone, with its full state
    const changed = docIds[7]!
    const doc = new Y.Doc()
    Y.applyUpdate(doc, synced!.docs.find((d) => d.docId === changed)!.update)
    const edit = write(doc, changed, alice, [{ type: 'comment', id: 'c2', body: { text: 'new' } }])
    expect(await writer.write(changed, edit.update)).toEqual({ ok: true })
    // the resumer, subscribed, got it live
    await resumer.take((m) => m.type === MessageTypes.Update && m.docId === changed, 'live edit')
    const later = await RawClient.open(relay.url)
    const one = await later.subscribe(
      docIds.map((docId) => ({ docId, stateVector: new Uint8Array(0) })),
      resume,
    )
    expect(one[0]!.docs.map((d) => d.docId)).toEqual([changed])
    expect(one[0]!.seq).toBe(N + 1)
    const full = new Y.Doc()
    Y.applyUpdate(full, one[0]!.docs[0]!.update)
    expect(liveIds(full).size).toBe(2)
    // a resume point of another epoch answers everything
    const stranger = await RawClient.open(relay.url)
    const all = await stranger.subscribe(
      docIds.slice(0, 10).map((docId) => ({ docId, stateVector: new Uint8Array(0) })),
      { epoch: 'another-epoch', seq: 3 },
    )
    expect(all[0]!.docs).toHaveLength(10)
  })

  it('splits an answer larger than the frame limit, and enforces max documents', async () => {
    const relay = await spawnRelay({ args: ['--max-frame-bytes', '20000', '--max-docs', '300'] })
    const writer = await RawClient.open(relay.url, alice)
    await fill(writer)
    const reader = await RawClient.open(relay.url)
    const empty = Y.encodeStateVector(new Y.Doc())
    const frames = await reader.subscribe(
      docIds.slice(0, 300).map((docId) => ({ docId, stateVector: empty })),
    )
    expect(frames.length).toBeGreaterThan(1)
    expect(frames.slice(0, -1).every((f) => f.more)).toBe(true)
    expect(frames.flatMap((f) => f.docs)).toHaveLength(300)
    const over = await reader.subscribe([{ docId: docIds[400]!, stateVector: empty }])
    expect(over[0]!.docs).toEqual([])
    const error = await reader.next(MessageTypes.Error)
    expect(error).toMatchObject({ code: 'too-many-docs', docId: docIds[400] })
    // unsubscribing makes room
    reader.send({ type: MessageTypes.Unsubscribe, docIds: [docIds[0]!] })
    const room = await reader.subscribe([{ docId: docIds[400]!, stateVector: empty }])
    expect(room[0]!.docs).toHaveLength(1)
  })
})
