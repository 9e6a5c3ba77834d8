/**
 * A loaded document answers reads the same in both of its forms: cold (the
 * merged stored log, no Y.Doc) and hot (a Y.Doc replica). Seeded random
 * logs from several writers, with deletions and updates stored out of
 * order or missing a part (pending structs): for random askers, what
 * `diff` sends is equivalent to what a Y.Doc built from the log gives,
 * before and after the document turned hot and cold again. The state
 * vector is the replica's when hot; when cold it may also count items
 * held but waiting for a missing part, never an item not held.
 * Short in CI; long with `EXTENSIVE=1`; `SEED=<n>` replays.
 */
import type { DocId } from '@feedmesh/core'
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { LoadedDoc } from '../src/LoadedDoc.js'
import { extensive, runs, seed, withSeed } from './storeFuzz.js'

const docId = 'p/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2026-01' as DocId

/** What a document holds, comparable across replicas (content, state vector, delete set, pending). */
function digest(doc: Y.Doc): string {
  const snapshot = Buffer.from(Y.encodeSnapshot(Y.snapshot(doc))).toString('base64')
  const pending = doc.store.pendingStructs === null ? '' : 'pending'
  return JSON.stringify([
    Object.entries(doc.getMap('m').toJSON()).sort(([a], [b]) => (a < b ? -1 : 1)),
    doc.getText('t').toString(),
    doc.getArray('a').toJSON(),
    snapshot,
    pending,
  ])
}

function fromUpdates(...updates: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc({ gc: false })
  for (const update of updates) Y.applyUpdate(doc, update)
  return doc
}

function svMap(sv: Uint8Array): [number, number][] {
  return [...Y.decodeStateVector(sv)].sort((a, b) => a[0] - b[0])
}

/** A random log: updates of 1–3 writers that see each other now and then, some stored out of order or left out. */
function randomLog(gen: prng.PRNG): Uint8Array[] {
  const writers = Array.from({ length: prng.int32(gen, 1, 3) }, (_, i) => {
    const doc = new Y.Doc({ gc: false })
    doc.clientID = 1000 + i
    return doc
  })
  const log: Uint8Array[] = []
  const steps = prng.int32(gen, 1, 25)
  for (let s = 0; s < steps; s++) {
    const w = writers[prng.int32(gen, 0, writers.length - 1)]!
    const updates: Uint8Array[] = []
    const onUpdate = (u: Uint8Array) => updates.push(u)
    w.on('update', onUpdate)
    const op = prng.int32(gen, 0, 5)
    const text = w.getText('t')
    const array = w.getArray<number>('a')
    if (op === 0) w.getMap('m').set(`k${prng.int32(gen, 0, 5)}`, prng.word(gen, 1, 8))
    else if (op === 1) w.getMap('m').delete(`k${prng.int32(gen, 0, 5)}`)
    else if (op === 2) text.insert(prng.int32(gen, 0, text.length), prng.word(gen, 1, 6))
    else if (op === 3 && text.length > 0) {
      const at = prng.int32(gen, 0, text.length - 1)
      text.delete(at, prng.int32(gen, 1, text.length - at))
    } else if (op === 4) array.push([prng.int32(gen, 0, 99)])
    else if (array.length > 0) array.delete(prng.int32(gen, 0, array.length - 1), 1)
    w.off('update', onUpdate)
    log.push(...updates)
    // now and then a writer catches up with another one
    if (prng.bool(gen) && writers.length > 1) {
      const other = writers[prng.int32(gen, 0, writers.length - 1)]!
      if (other !== w) Y.applyUpdate(other, Y.encodeStateAsUpdate(w, Y.encodeStateVector(other)))
    }
  }
  // stored out of order, and (sometimes) with a part missing
  for (let i = log.length - 1; i > 0; i--) {
    if (prng.int32(gen, 0, 3) !== 0) continue
    const j = prng.int32(gen, 0, i)
    ;[log[i], log[j]] = [log[j]!, log[i]!]
  }
  if (log.length > 2 && prng.int32(gen, 0, 4) === 0)
    log.splice(prng.int32(gen, 0, log.length - 1), 1)
  return log
}

/** Checks that `doc` answers every asker like a Y.Doc built from `log` would. */
function expectSameAnswers(doc: LoadedDoc, log: readonly Uint8Array[], gen: prng.PRNG): void {
  // what a reader of a relay whose replica applied the log in order gets
  // (applied in order, a Y.Doc may leave items pending that its own
  // encoded state integrates)
  const reference = fromUpdates(Y.encodeStateAsUpdate(fromUpdates(...log)))
  const integrated = Y.encodeStateVector(reference)
  if (doc.hot) expect(svMap(doc.stateVector())).toEqual(svMap(integrated))
  else {
    // cold: at least every integrated item, at most every item held
    const held = Y.decodeStateVector(
      Y.encodeStateVectorFromUpdate(Y.encodeStateAsUpdate(reference)),
    )
    const cold = Y.decodeStateVector(doc.stateVector())
    for (const [client, clock] of Y.decodeStateVector(integrated)) {
      expect(cold.get(client) ?? 0).toBeGreaterThanOrEqual(clock)
    }
    for (const [client, clock] of cold) expect(clock).toBeLessThanOrEqual(held.get(client) ?? 0)
  }
  const whole = digest(reference)
  expect(digest(fromUpdates(doc.diff()))).toBe(whole)
  expect(doc.inspect((replica) => digest(replica))).toBe(whole)
  // an asker holding everything (twice: the answer is kept), and one holding nothing
  for (const held of [log, log, []]) {
    const asker = fromUpdates(...held)
    Y.applyUpdate(asker, doc.diff(Y.encodeStateVector(asker)))
    expect(digest(asker)).toBe(whole)
  }
  for (let a = 0; a < 4; a++) {
    // an asker holding a random part of the log
    const held = log.filter(() => prng.bool(gen))
    const asker = fromUpdates(...held)
    const answer = doc.diff(Y.encodeStateVector(asker))
    Y.applyUpdate(asker, answer)
    expect(digest(asker)).toBe(whole)
  }
}

describe('LoadedDoc: cold and hot forms answer alike', () => {
  it(
    'state vector and diffs equal a Y.Doc built from the log, across hot/cold changes',
    async () => {
      const n = runs(60, 1000)
      for (let run = 0; run < n; run++) {
        await withSeed(seed + run, async (gen) => {
          const log = randomLog(gen)
          const forms: boolean[] = []
          const doc = new LoadedDoc(docId, log, 1, (hot) => forms.push(hot))
          expect(doc.hot).toBe(false)
          expectSameAnswers(doc, log, gen)
          expect(doc.hot).toBe(false) // reads and inspect never build the replica
          expect(forms).toEqual([])
          // a write: the replica is built from the encoded state, and the write lands on it
          const replica = doc.replica()
          expect(doc.hot).toBe(true)
          const extra = new Y.Doc({ gc: false })
          extra.clientID = 7
          const write: Uint8Array[] = []
          extra.on('update', (u: Uint8Array) => write.push(u))
          extra.getMap('m').set('written', run)
          Y.applyUpdate(replica, write[0]!)
          const after = [...log, write[0]!]
          expectSameAnswers(doc, after, gen)
          // cold again: same answers from the encoded state
          expect(doc.cool()).toBe(true)
          expect(doc.hot).toBe(false)
          expect(doc.cool()).toBe(false)
          expectSameAnswers(doc, after, gen)
          expect(forms).toEqual([true, false])
          // back to the stored log
          doc.reset(log, 1)
          expectSameAnswers(doc, log, gen)
          doc.destroy()
        })
      }
    },
    extensive ? 600_000 : 30_000,
  )

  it('an empty document answers with an empty update and state vector', () => {
    const doc = new LoadedDoc(docId, [], 0)
    expect([...Y.decodeStateVector(doc.stateVector())]).toEqual([])
    expect(digest(fromUpdates(doc.diff(new Uint8Array([0]))))).toBe(digest(new Y.Doc()))
    doc.replica().getMap('m').set('a', 1)
    expect(doc.cool()).toBe(true)
    expect(fromUpdates(doc.diff()).getMap('m').toJSON()).toEqual({ a: 1 })
  })

  it('rejects a state vector that does not decode, in both forms', () => {
    const source = new Y.Doc()
    source.getMap('m').set('a', 1)
    const doc = new LoadedDoc(docId, [Y.encodeStateAsUpdate(source)], 1)
    const bad = new Uint8Array([5, 1])
    expect(() => doc.diff(bad)).toThrow()
    doc.replica()
    expect(() => doc.diff(bad)).toThrow()
  })
})
