/**
 * The contract every {@link StorageAdapter} must pass. An implementation's
 * test file is a few lines that call {@link storageContract} with a factory
 * of fresh, empty stores (and, for persistent stores, a way to reopen the
 * same data through a new connection).
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { type DocId, postsDocId, threadDocId, userDocId } from '../src/docIds.js'
import { Identity } from '../src/Identity.js'
import { listEntries, writeRecords } from '../src/recordMap.js'
import type { StorageAdapter } from '../src/storage/StorageAdapter.js'
import { fcParams, runs } from './helpers/fuzz.js'

/** A fresh, empty store under test. */
export interface StorageUnderTest {
  /** The store. */
  storage: StorageAdapter
  /**
   * Opens the same data again through a new connection (called after
   * `storage.close()`). Without it, the "restart" reuses `storage` as is.
   */
  reopen?: () => Promise<StorageAdapter>
}

const alice = Identity.generate()
const bob = Identity.generate()
const docA: DocId = userDocId(alice.userId)
const docB: DocId = postsDocId(alice.userId, '2026-03')
const docC: DocId = threadDocId(bob.userId, 'post1')

const bytes = (...values: number[]) => Uint8Array.from(values)

/** A Y.Doc that records every update it emits. */
function recordingDoc(): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  return { doc, updates }
}

/** A fresh Y.Doc holding `updates`, applied in order. */
function docFrom(updates: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc()
  Y.transact(doc, () => {
    for (const u of updates) Y.applyUpdate(doc, u)
  })
  return doc
}

/** The visible state of a document: its entries and its state vector. */
function stateOf(doc: Y.Doc): { entries: [string, unknown][]; sv: Uint8Array } {
  const entries = listEntries(doc)
    .map((e): [string, unknown] => [e.key, e.value])
    .sort(([a], [b]) => (a < b ? -1 : 1))
  return { entries, sv: Y.encodeStateVector(doc) }
}

async function expectCode(work: Promise<unknown>, code: string): Promise<void> {
  await expect(work).rejects.toMatchObject({ name: 'FeedmeshError', code })
}

/** Registers the storage contract suite for one implementation. */
export function storageContract(name: string, make: () => Promise<StorageUnderTest>): void {
  describe(`StorageAdapter contract: ${name}`, () => {
    const opened: StorageAdapter[] = []
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close().catch(() => undefined)
    })
    async function fresh(): Promise<StorageUnderTest> {
      const under = await make()
      opened.push(under.storage)
      return under
    }

    it('loads an unknown document as an empty log; starts empty', async () => {
      const { storage } = await fresh()
      expect(await storage.load(docA)).toEqual({ updates: [], head: 0 })
      expect(await storage.listDocs()).toEqual([])
      expect(await storage.outbox()).toEqual([])
      expect(await storage.getMeta('relay')).toBeUndefined()
    })

    it('appends in order and reports the head', async () => {
      const { storage } = await fresh()
      const s1 = await storage.append(docA, bytes(1), false)
      const s2 = await storage.append(docA, bytes(2, 2), false)
      const s3 = await storage.append(docA, bytes(3, 3, 3), true)
      expect(s1).toBeGreaterThan(0)
      expect(s2).toBeGreaterThan(s1)
      expect(s3).toBeGreaterThan(s2)
      expect(await storage.load(docA)).toEqual({
        updates: [bytes(1), bytes(2, 2), bytes(3, 3, 3)],
        head: s3,
      })
    })

    it('numbers updates store-wide, increasing across documents', async () => {
      const { storage } = await fresh()
      const seqs: number[] = []
      for (const doc of [docA, docB, docA, docC, docB, docA]) {
        seqs.push(await storage.append(doc, bytes(seqs.length), false))
      }
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!)
      expect((await storage.load(docA)).head).toBe(seqs[5])
      expect((await storage.load(docB)).head).toBe(seqs[4])
      expect((await storage.load(docC)).head).toBe(seqs[3])
      expect((await storage.load(docB)).updates).toEqual([bytes(1), bytes(4)])
    })

    it('appends to the document and the outbox together', async () => {
      const { storage } = await fresh()
      const local = await storage.append(docA, bytes(7, 7), true)
      const remote = await storage.append(docA, bytes(8), false)
      expect(await storage.outbox()).toEqual([{ seq: local, docId: docA, update: bytes(7, 7) }])
      expect((await storage.load(docA)).updates).toEqual([bytes(7, 7), bytes(8)])
      expect((await storage.load(docA)).head).toBe(remote)
    })

    it('lists the outbox oldest first and removes by number, ignoring unknown numbers', async () => {
      const { storage } = await fresh()
      const s1 = await storage.append(docB, bytes(1), true)
      const s2 = await storage.append(docA, bytes(2), true)
      await storage.append(docA, bytes(0), false)
      const s3 = await storage.append(docC, bytes(3), true)
      expect((await storage.outbox()).map((e) => [e.seq, e.docId])).toEqual([
        [s1, docB],
        [s2, docA],
        [s3, docC],
      ])
      await storage.removeFromOutbox([s2, s3 + 1000, -1, Number.NaN])
      await storage.removeFromOutbox([])
      await storage.removeFromOutbox([s2])
      expect(await storage.outbox()).toEqual([
        { seq: s1, docId: docB, update: bytes(1) },
        { seq: s3, docId: docC, update: bytes(3) },
      ])
      // Acknowledged entries leave the outbox, never the document.
      expect((await storage.load(docA)).updates).toEqual([bytes(2), bytes(0)])
    })

    it('compacts a prefix into a snapshot that comes first, keeping later appends', async () => {
      const { storage } = await fresh()
      const { doc, updates } = recordingDoc()
      writeRecords(doc, docB, alice, [{ type: 'post', id: 'a', body: { text: 'one' } }], 1)
      writeRecords(doc, docB, alice, [{ type: 'post', id: 'b', body: { text: 'two' } }], 2)
      const seqs = [] as number[]
      for (const u of updates) seqs.push(await storage.append(docB, u, true))
      await storage.append(docC, bytes(9), false)
      const loaded = await storage.load(docB)
      expect(loaded.head).toBe(seqs[1])
      const snapshot = Y.encodeStateAsUpdate(docFrom(loaded.updates))
      // An update appended while the snapshot was being made stays after it.
      writeRecords(doc, docB, alice, [{ type: 'post', id: 'a', body: { text: 'one, edited' } }], 3)
      const late = await storage.append(docB, updates[2]!, true)
      await storage.compact(docB, snapshot, loaded.head)
      const after = await storage.load(docB)
      expect(after.updates).toEqual([snapshot, updates[2]])
      expect(after.head).toBe(late)
      expect(stateOf(docFrom(after.updates))).toEqual(stateOf(doc))
      // Other documents and the outbox keep their own copies.
      expect((await storage.load(docC)).updates).toEqual([bytes(9)])
      expect((await storage.outbox()).map((e) => e.update)).toEqual(updates)
      // Compacting again through the head replaces everything.
      const full = Y.encodeStateAsUpdate(doc)
      await storage.compact(docB, full, after.head)
      expect(await storage.load(docB)).toEqual({ updates: [full], head: late })
      // A later append still sorts after the snapshot.
      const next = await storage.append(docB, bytes(4), false)
      expect(await storage.load(docB)).toEqual({ updates: [full, bytes(4)], head: next })
    })

    it('compacting through a number below every update of the document changes nothing', async () => {
      const { storage } = await fresh()
      const s1 = await storage.append(docA, bytes(1), false)
      const s2 = await storage.append(docB, bytes(2), false)
      await storage.compact(docB, bytes(99), s1)
      await storage.compact(docC, bytes(99), s2)
      expect(await storage.load(docB)).toEqual({ updates: [bytes(2)], head: s2 })
      expect(await storage.load(docC)).toEqual({ updates: [], head: 0 })
      expect(await storage.listDocs()).toEqual([docA, docB].sort())
    })

    it('round-trips a Yjs document of signed records', async () => {
      const { storage } = await fresh()
      const { doc, updates } = recordingDoc()
      writeRecords(doc, docA, alice, [{ type: 'profile', id: 'profile', body: { name: 'A' } }], 1)
      writeRecords(doc, docA, alice, [{ type: 'follow', id: bob.userId, body: {} }], 2)
      writeRecords(doc, docA, alice, [{ type: 'profile', id: 'profile', body: { name: 'B' } }], 3)
      writeRecords(
        doc,
        docA,
        alice,
        [{ type: 'follow', id: bob.userId, body: { deleted: true } }],
        4,
      )
      for (const u of updates) await storage.append(docA, u, true)
      const copy = docFrom((await storage.load(docA)).updates)
      expect(stateOf(copy)).toEqual(stateOf(doc))
      expect(Y.encodeStateAsUpdate(copy)).toEqual(Y.encodeStateAsUpdate(doc))
    })

    it('lists every stored document', async () => {
      const { storage } = await fresh()
      await storage.append(docC, bytes(1), false)
      await storage.append(docA, bytes(2), true)
      await storage.append(docC, bytes(3), false)
      await storage.append(docB, bytes(4), false)
      expect((await storage.listDocs()).sort()).toEqual([docA, docB, docC].sort())
    })

    it('gets and sets metadata', async () => {
      const { storage } = await fresh()
      await storage.setMeta('relay:wss://a.example/seq', '41')
      await storage.setMeta('relay:wss://a.example/seq', '42')
      await storage.setMeta('', 'empty key ✓ and unicode 𝄞')
      expect(await storage.getMeta('relay:wss://a.example/seq')).toBe('42')
      expect(await storage.getMeta('')).toBe('empty key ✓ and unicode 𝄞')
      expect(await storage.getMeta('relay:wss://b.example/seq')).toBeUndefined()
      // Metadata is not a document.
      expect(await storage.listDocs()).toEqual([])
    })

    it('keeps its own copies of bytes', async () => {
      const { storage } = await fresh()
      const update = bytes(1, 2, 3)
      const pending = storage.append(docA, update, true)
      update[0] = 9
      await pending
      const loaded = await storage.load(docA)
      loaded.updates[0]![1] = 9
      const outbox = await storage.outbox()
      outbox[0]!.update[2] = 9
      expect((await storage.load(docA)).updates).toEqual([bytes(1, 2, 3)])
      expect((await storage.outbox())[0]!.update).toEqual(bytes(1, 2, 3))
    })

    it('survives a restart', async () => {
      const { storage, reopen } = await fresh()
      const { doc, updates } = recordingDoc()
      writeRecords(doc, docB, alice, [{ type: 'post', id: 'x', body: { text: 'kept' } }], 1)
      writeRecords(doc, docB, alice, [{ type: 'post', id: 'y', body: { text: 'also' } }], 2)
      const s1 = await storage.append(docB, updates[0]!, true)
      const s2 = await storage.append(docB, updates[1]!, true)
      await storage.append(docA, bytes(5), false)
      await storage.removeFromOutbox([s1])
      await storage.compact(docB, Y.encodeStateAsUpdate(docFrom(updates.slice(0, 1))), s1)
      await storage.setMeta('epoch', 'e1')
      let again = storage
      if (reopen !== undefined) {
        await storage.close()
        again = await reopen()
        opened.push(again)
      }
      expect(stateOf(docFrom((await again.load(docB)).updates))).toEqual(stateOf(doc))
      expect((await again.load(docB)).head).toBe(s2)
      expect((await again.load(docA)).updates).toEqual([bytes(5)])
      expect(await again.outbox()).toEqual([{ seq: s2, docId: docB, update: updates[1] }])
      expect(await again.getMeta('epoch')).toBe('e1')
      expect((await again.listDocs()).sort()).toEqual([docA, docB].sort())
      // Numbering continues after the restart.
      expect(await again.append(docC, bytes(6), false)).toBeGreaterThan(s2 + 1)
    })

    it('rejects every call with code closed after close', async () => {
      const { storage } = await fresh()
      await storage.append(docA, bytes(1), true)
      await storage.close()
      await storage.close()
      await expectCode(storage.load(docA), 'closed')
      await expectCode(storage.append(docA, bytes(2), true), 'closed')
      await expectCode(storage.compact(docA, bytes(3), 1), 'closed')
      await expectCode(storage.listDocs(), 'closed')
      await expectCode(storage.outbox(), 'closed')
      await expectCode(storage.removeFromOutbox([1]), 'closed')
      await expectCode(storage.getMeta('k'), 'closed')
      await expectCode(storage.setMeta('k', 'v'), 'closed')
    })

    it('finishes calls made before close', async () => {
      const { storage, reopen } = await fresh()
      const appended = storage.append(docA, bytes(1), true)
      const loaded = storage.load(docA)
      await storage.close()
      const seq = await appended
      await loaded
      if (reopen !== undefined) {
        const again = await reopen()
        opened.push(again)
        expect(await again.load(docA)).toEqual({ updates: [bytes(1)], head: seq })
      }
    })

    it('refuses bad arguments with bad-argument', async () => {
      const { storage } = await fresh()
      await expectCode(storage.append(docA, [1, 2] as unknown as Uint8Array, false), 'bad-argument')
      await expectCode(storage.append('', bytes(1), false), 'bad-argument')
      await expectCode(storage.compact(docA, bytes(1), -1), 'bad-argument')
      await expectCode(storage.compact(docA, bytes(1), 1.5), 'bad-argument')
      await expectCode(storage.compact(docA, 'x' as unknown as Uint8Array, 1), 'bad-argument')
      await expectCode(storage.setMeta('k', 3 as unknown as string), 'bad-argument')
      expect(await storage.load(docA)).toEqual({ updates: [], head: 0 })
    })

    it('keeps every update of concurrent appends, in call order per document', async () => {
      const { storage } = await fresh()
      const docs = [docA, docB, docC]
      const calls = Array.from({ length: 90 }, (_, i) => ({ doc: docs[i % 3]!, update: bytes(i) }))
      const seqs = await Promise.all(
        calls.map((c, i) => storage.append(c.doc, c.update, i % 2 === 0)),
      )
      expect(new Set(seqs).size).toBe(calls.length)
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!)
      const loads = await Promise.all(docs.map((d) => storage.load(d)))
      docs.forEach((d, k) => {
        expect(loads[k]!.updates).toEqual(calls.filter((c) => c.doc === d).map((c) => c.update))
      })
      expect((await storage.outbox()).length).toBe(45)
    })

    it('serializes appends and compactions issued together', async () => {
      const { storage } = await fresh()
      const s1 = await storage.append(docA, bytes(1), false)
      const [, s2] = await Promise.all([
        storage.compact(docA, bytes(10), s1),
        storage.append(docA, bytes(2), false),
        storage.load(docA),
      ])
      expect(await storage.load(docA)).toEqual({ updates: [bytes(10), bytes(2)], head: s2 })
    })

    it('matches a model under random operations (seeded)', async () => {
      const op = fc.oneof(
        fc.record({
          kind: fc.constant('append' as const),
          doc: fc.integer({ min: 0, max: 2 }),
          update: fc.uint8Array({ minLength: 0, maxLength: 12 }),
          toOutbox: fc.boolean(),
        }),
        fc.record({
          kind: fc.constant('compact' as const),
          doc: fc.integer({ min: 0, max: 2 }),
          back: fc.integer({ min: 0, max: 3 }),
          update: fc.uint8Array({ minLength: 1, maxLength: 12 }),
        }),
        fc.record({
          kind: fc.constant('ack' as const),
          pick: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 4 }),
        }),
      )
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
          const { storage } = await fresh()
          const docs = [docA, docB, docC]
          const model = new Map<DocId, { seq: number; update: Uint8Array }[]>()
          let outbox: { seq: number; docId: DocId; update: Uint8Array }[] = []
          let last = 0
          for (const o of ops) {
            if (o.kind === 'append') {
              const docId = docs[o.doc]!
              const seq = await storage.append(docId, o.update, o.toOutbox)
              expect(seq).toBeGreaterThan(last)
              last = seq
              model.set(docId, [...(model.get(docId) ?? []), { seq, update: o.update }])
              if (o.toOutbox) outbox.push({ seq, docId, update: o.update })
            } else if (o.kind === 'compact') {
              const docId = docs[o.doc]!
              const log = model.get(docId) ?? []
              const through = log[log.length - 1 - o.back]?.seq ?? 0
              await storage.compact(docId, o.update, through)
              const replaced = log.filter((e) => e.seq <= through)
              if (replaced.length > 0) {
                const at = replaced[replaced.length - 1]!.seq
                model.set(docId, [
                  { seq: at, update: o.update },
                  ...log.filter((e) => e.seq > through),
                ])
              }
            } else {
              const seqs = o.pick.map((i) => outbox[i]?.seq ?? 10_000 + i)
              await storage.removeFromOutbox(seqs)
              outbox = outbox.filter((e) => !seqs.includes(e.seq))
            }
          }
          for (const docId of docs) {
            const log = model.get(docId) ?? []
            expect(await storage.load(docId)).toEqual({
              updates: log.map((e) => e.update),
              head: log[log.length - 1]?.seq ?? 0,
            })
          }
          expect(await storage.outbox()).toEqual(outbox)
          expect((await storage.listDocs()).sort()).toEqual([...model.keys()].sort())
          await storage.close()
        }),
        fcParams(runs(25, 300)),
      )
    })
  })
}
