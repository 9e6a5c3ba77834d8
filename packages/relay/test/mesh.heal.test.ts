/**
 * Healing costs what changed, not what is stored: two relays hold the same
 * 10,000 documents (written straight into their SQLite stores before they
 * start, with each one's cursor on the other at the other's head, as after
 * a long time in sync); during a partition 100 of them change (50 on each
 * side); after the partition heals the relays exchange about 100
 * documents, not 10,000 (asserted on the documents-synced counters of
 * `/healthz`, not on time), and converge.
 */
import crypto from 'node:crypto'
import {
  canonicalBytes,
  type DocId,
  Identity,
  keyOfRecord,
  RecordVerifier,
  recordsOf,
  type SignedRecord,
  threadDocId,
} from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { loadRelayKey } from '../src/relayKey.js'
import { SqliteStore } from '../src/store/SqliteStore.js'
import { Device } from './helpers/Device.js'
import {
  healthOf,
  readState,
  sleep,
  startMesh,
  sumFigure,
  waitConverged,
  waitLinked,
} from './helpers/mesh.js'
import { killAllRelays, tempDir } from './helpers/spawnRelay.js'
import { missingAcked } from './helpers/workload.js'

afterAll(killAllRelays)

const STORED = 10_000
const CHANGED = 100

/**
 * `n` documents of one comment each, as the updates Yjs produces, signed
 * with node:crypto directly (about ten times faster than the pure-JS
 * signer, which matters for 10,000 records).
 */
function storedDocuments(n: number): [DocId, Uint8Array][] {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519')
  const author = publicKey.export({ format: 'jwk' }).x!
  const out: [DocId, Uint8Array][] = []
  for (let i = 0; i < n; i++) {
    const docId = threadDocId(author, `n${i}`)
    const doc = new Y.Doc()
    const unsigned = {
      doc: docId,
      author,
      type: 'comment' as const,
      id: 'c',
      rev: 1,
      at: 1_767_225_600_000,
      yid: [doc.clientID, 0] as [number, number],
      body: { text: `stored ${i}` },
    }
    const sig = crypto.sign(null, canonicalBytes(unsigned), privateKey).toString('base64url')
    const record: SignedRecord = { ...unsigned, sig }
    let update: Uint8Array | undefined
    doc.on('update', (u: Uint8Array) => {
      update = u
    })
    recordsOf(doc).set(keyOfRecord(record), record)
    out.push([docId, update!])
    doc.destroy()
  }
  return out
}

/** The one record an update of {@link storedDocuments} holds. */
function recordIn(update: Uint8Array): SignedRecord {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  return [...recordsOf(doc).values()][0] as SignedRecord
}

/** Writes the same `updates` into fresh stores under `dirs`; returns each store's epoch and head. */
async function populate(
  dirs: readonly string[],
  updates: readonly [DocId, Uint8Array][],
): Promise<{ epoch: string; head: number }[]> {
  const out: { epoch: string; head: number }[] = []
  for (const dir of dirs) {
    const store = await SqliteStore.open(dir, { synchronous: 'NORMAL', autoCompact: false })
    await Promise.all(updates.map(([docId, update]) => store.append(docId, update)))
    out.push({ epoch: store.epoch, head: await store.head() })
    await store.close()
  }
  return out
}

describe('mesh: heal cost', () => {
  it(`syncs about ${CHANGED} of ${STORED} documents after a partition`, {
    timeout: 180_000,
  }, async () => {
    const prepStart = performance.now()
    const updates = storedDocuments(STORED)
    expect(await new RecordVerifier().verify(recordIn(updates[0]![1]))).toBe(true)
    const dirs = [tempDir(), tempDir()]
    const keys = dirs.map((dir) => loadRelayKey(dir).userId)
    const [a, b] = await populate(dirs, updates)
    // as after a long time in sync: each relay's cursor on the other is at the other's head
    for (const [i, dir] of dirs.entries()) {
      const other = i === 0 ? b! : a!
      const store = await SqliteStore.open(dir)
      await store.setPeerCursor(keys[1 - i]!, { epoch: other.epoch, seq: other.head })
      await store.close()
    }
    const prepMs = performance.now() - prepStart

    const mesh = await startMesh({ size: 2, links: [[0, 1]], dataDirs: dirs })
    const relays = [mesh.relay(0), mesh.relay(1)]
    expect(relays[0]!.epoch).toBe(a!.epoch)
    await waitLinked(mesh)
    const syncedAtStart = await sumFigure(relays, 'docsSynced')
    expect(syncedAtStart).toBe(0)

    mesh.proxy(0, 1).cut()
    const writers = [new Device(Identity.generate(), 'w0'), new Device(Identity.generate(), 'w1')]
    await writers[0]!.connect(relays[0]!.url)
    await writers[1]!.connect(relays[1]!.url)
    const changed: DocId[] = []
    for (let i = 0; i < CHANGED; i++) {
      const docId = updates[i * Math.floor(STORED / CHANGED)]![0]
      changed.push(docId)
      writers[i % 2]!.write(docId, [{ type: 'comment', id: `heal${i}`, body: { text: 'during' } }])
    }
    for (const writer of writers) await writer.settle()
    const before = await Promise.all(relays.map((r) => healthOf(r)))
    const syncedBefore = await sumFigure(relays, 'docsSynced')

    const healStart = performance.now()
    mesh.proxy(0, 1).restore()
    const sample = [...changed, ...updates.slice(-20).map(([docId]) => docId)]
    await waitConverged(
      relays.map((r) => r.url),
      sample,
      60_000,
    )
    const healMs = performance.now() - healStart
    await waitLinked(mesh)
    // let every periodic round run once more, so the count includes the echoes
    await sleep(2500)
    await waitLinked(mesh)
    const synced = (await sumFigure(relays, 'docsSynced')) - syncedBefore
    const served = await sumFigure(relays, 'docsServed')
    const after = await Promise.all(relays.map((r) => healthOf(r)))
    for (const relay of relays) {
      expect(missingAcked(writers, await readState(relay.url, changed))).toEqual([])
    }
    // the cost follows what changed: about 100 documents (each side pulls what the other
    // changed; the echo filter leaves out what it pulled back), nowhere near the 10,000
    expect(synced).toBeGreaterThanOrEqual(CHANGED)
    expect(synced).toBeLessThanOrEqual(1.5 * CHANGED)
    for (const [i, h] of after.entries()) {
      const peer = h.peers.find((p) => p.publicKey === keys[1 - i])!
      const was = before[i]!.peers.find((p) => p.publicKey === keys[1 - i])!
      expect(peer.fullReconciliations).toBe(was.fullReconciliations)
      expect(peer.lag).toBe(0)
    }
    console.info(
      `heal cost: ${STORED} documents stored on each relay (prepared in ${prepMs.toFixed(0)} ms), ` +
        `${CHANGED} changed during the partition; healing exchanged ${synced} documents ` +
        `(${served} answered in all) and converged in ${healMs.toFixed(0)} ms`,
    )
    for (const writer of writers) await writer.disconnect()
  })
})
