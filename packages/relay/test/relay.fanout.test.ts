/**
 * Fan-out: one writer, many subscribers of one document on a real relay.
 * Every feedmesh subscriber (50 raw connections) gets every change exactly
 * once, as the same bytes as every other subscriber, and the writer gets
 * none of its own; y-websocket subscribers (raw sockets on `/y/<docId>`)
 * get every change exactly once too, as the same message bytes; the
 * `updates_out` metric counts each delivery once.
 */
import { Identity, type Message, MessageTypes, roomDocId } from '@feedmesh/core'
import * as decoding from 'lib0/decoding'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { YMessageTypes, YSyncTypes } from '../src/YSession.js'
import { RawClient } from './helpers/RawClient.js'
import { liveIds, write } from './helpers/records.js'
import { killAllRelays, spawnRelay } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const owner = Identity.generate()
const docId = roomDocId(owner.userId, 'fanout')
const SUBSCRIBERS = 50
const Y_SUBSCRIBERS = 5
const UPDATES = 20

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  if (line === undefined) throw new Error(`no metric ${series}`)
  return Number(line.slice(series.length + 1))
}

/** A raw y-websocket connection that keeps every sync update message it receives. */
async function openY(url: string): Promise<{ socket: WebSocket; updates: Buffer[] }> {
  const socket = new WebSocket(`${url}/y/${docId}`)
  const updates: Buffer[] = []
  // the relay's sync step 1, sent once the session is subscribed
  const greeted = new Promise((resolve) => socket.once('message', resolve))
  socket.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(data)
    if (decoding.readVarUint(d) !== YMessageTypes.Sync) return
    if (decoding.readVarUint(d) === YSyncTypes.Update) updates.push(data)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  await greeted
  return { socket, updates }
}

/** The UPDATE messages of the document in a client's inbox. */
function updatesOf(client: RawClient): Extract<Message, { type: typeof MessageTypes.Update }>[] {
  return client.inbox.filter(
    (m): m is Extract<Message, { type: typeof MessageTypes.Update }> =>
      m.type === MessageTypes.Update && m.docId === docId,
  )
}

describe('relay: fan-out', () => {
  it('delivers every change to each of many subscribers exactly once, as the same bytes', async () => {
    const relay = await spawnRelay()
    const writer = await RawClient.open(relay.url, owner)
    const empty = Y.encodeStateVector(new Y.Doc())
    await writer.subscribe([{ docId, stateVector: empty }])
    const readers = await Promise.all(
      Array.from({ length: SUBSCRIBERS }, () => RawClient.open(relay.url)),
    )
    await Promise.all(readers.map((r) => r.subscribe([{ docId, stateVector: empty }])))
    const ys = await Promise.all(Array.from({ length: Y_SUBSCRIBERS }, () => openY(relay.url)))

    const doc = new Y.Doc()
    const refs: number[] = []
    for (let i = 0; i < UPDATES; i++) {
      const { update } = write(doc, docId, owner, [
        { type: 'message', id: `m${i}`, body: { text: `fan-out ${i}` } },
      ])
      refs.push(writer.update(docId, update))
    }
    const results = await Promise.all(refs.map((ref) => writer.result(ref, 30_000)))
    expect(results.every((r) => r.ok)).toBe(true)

    for (const reader of readers) {
      await reader.until(
        () => (updatesOf(reader).length >= UPDATES ? true : undefined),
        'every update',
        30_000,
      )
    }
    await writer.ping()
    for (const reader of readers) await reader.ping() // anything late would have arrived by now

    const first = updatesOf(readers[0]!).map((m) => Buffer.from(m.update))
    expect(first).toHaveLength(UPDATES)
    expect(new Set(first.map((b) => b.toString('base64'))).size).toBe(UPDATES)
    for (const reader of readers) {
      const got = updatesOf(reader)
      expect(got).toHaveLength(UPDATES)
      expect(got.every((m) => m.ref === 0)).toBe(true)
      expect(got.map((m) => Buffer.from(m.update))).toEqual(first)
    }
    const replica = new Y.Doc()
    for (const update of first) Y.applyUpdate(replica, update)
    expect(liveIds(replica)).toEqual(
      new Set(Array.from({ length: UPDATES }, (_, i) => `${owner.userId}/m${i}`)),
    )
    expect(updatesOf(writer)).toHaveLength(0)

    for (const y of ys) {
      for (let i = 0; i < 100 && y.updates.length < UPDATES; i++) {
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(y.updates).toHaveLength(UPDATES)
      expect(y.updates).toEqual(ys[0]!.updates)
    }
    const yReplica = new Y.Doc()
    for (const message of ys[0]!.updates) {
      const d = decoding.createDecoder(message)
      decoding.readVarUint(d)
      decoding.readVarUint(d)
      Y.applyUpdate(yReplica, decoding.readVarUint8Array(d))
    }
    expect(liveIds(yReplica)).toEqual(liveIds(replica))

    const text = await (await relay.get('/metrics')).text()
    expect(metricValue(text, 'feedmesh_relay_updates_out_total{endpoint="feedmesh"}')).toBe(
      SUBSCRIBERS * UPDATES,
    )
    expect(metricValue(text, 'feedmesh_relay_updates_out_total{endpoint="y-websocket"}')).toBe(
      Y_SUBSCRIBERS * UPDATES,
    )

    for (const { socket } of ys) socket.close()
    await Promise.all([writer, ...readers].map((c) => c.close()))
  }, 120_000)
})
