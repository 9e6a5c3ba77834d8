/**
 * The contract every {@link RelayStore} must pass. An implementation's test
 * file is a few lines that call {@link storeContract} with a factory of
 * fresh, empty stores, a way to reopen the same data after `close()`, and a
 * way to back the data up and put the older copy back (for the epoch rule).
 */
import * as prng from 'lib0/prng'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { RelayStore } from '../src/store/RelayStore.js'
import { StoreErrorCodes } from '../src/store/storeErrors.js'
import { seed, withSeed } from './storeFuzz.js'

/** A fresh, empty store under test and the hooks the suite needs. */
export interface StoreUnderTest {
  /** The store. */
  store: RelayStore
  /** Opens the same data again (called after the previous store was closed). */
  reopen(): Promise<RelayStore>
  /**
   * Copies the data aside (called while the store is closed) and returns a
   * function that puts that older copy back in place of the current data
   * (also called while closed), the way an operator restores a backup.
   */
  backup(): Promise<() => Promise<void>>
}

/** A Y.Doc that records every update it emits. */
export function recordingDoc(): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  return { doc, updates }
}

/** A fresh Y.Doc holding `updates`. */
export function docFrom(updates: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc()
  Y.transact(doc, () => {
    for (const u of updates) Y.applyUpdate(doc, u)
  })
  return doc
}

/** The visible content of a test document: its map `m`, text `t` and array `a`. */
export function contentOf(doc: Y.Doc): { m: unknown; t: string; a: unknown } {
  return {
    m: doc.getMap('m').toJSON(),
    t: doc.getText('t').toString(),
    a: doc.getArray('a').toJSON(),
  }
}

/** One small Yjs update that sets `key` in the map `m` of a fresh document. */
export function keyUpdate(key: string, value: unknown = key): Uint8Array {
  const { doc, updates } = recordingDoc()
  doc.getMap('m').set(key, value)
  return updates[0]!
}

async function expectCode(work: Promise<unknown>, code: string): Promise<void> {
  await expect(work).rejects.toMatchObject({ name: 'StoreError', code })
}

/** Registers the store contract suite for one implementation. */
export function storeContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`RelayStore contract: ${name}`, () => {
    const opened: RelayStore[] = []
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close().catch(() => undefined)
    })
    async function fresh(): Promise<StoreUnderTest> {
      const under = await make()
      opened.push(under.store)
      return under
    }
    async function reopen(under: StoreUnderTest): Promise<RelayStore> {
      const store = await under.reopen()
      opened.push(store)
      return store
    }

    it('starts empty, with an epoch', async () => {
      const { store } = await fresh()
      expect(typeof store.epoch).toBe('string')
      expect(store.epoch.length).toBeGreaterThan(0)
      expect(await store.load('u/nobody')).toEqual({ updates: [], seq: 0 })
      expect(await store.head()).toBe(0)
      expect(await store.changesSince(0, 10)).toEqual({ changes: [], head: 0, more: false })
      expect(await store.stats()).toEqual({ documents: 0, updates: 0, bytes: 0 })
      expect(await store.getPeerCursor('peer-a')).toBeUndefined()
      expect(await store.needsCompaction('u/nobody')).toBe(false)
    })

    it('round-trips a document through Yjs, and across a reopen', async () => {
      const under = await fresh()
      const { doc, updates } = recordingDoc()
      doc.getMap('m').set('title', 'hello')
      doc.getText('t').insert(0, 'abc')
      doc.getArray<number>('a').push([1, 2, 3])
      doc.getText('t').delete(1, 1)
      let last = 0
      for (const u of updates) last = await under.store.append('p/alice/2026-03', u)
      const check = async (store: RelayStore) => {
        const log = await store.load('p/alice/2026-03')
        expect(log.seq).toBe(last)
        const copy = docFrom(log.updates)
        expect(contentOf(copy)).toEqual(contentOf(doc))
        expect(Y.encodeStateVector(copy)).toEqual(Y.encodeStateVector(doc))
        for (const u of log.updates) expect(Object.getPrototypeOf(u)).toBe(Uint8Array.prototype)
      }
      await check(under.store)
      const bytes = updates.reduce((sum, u) => sum + u.length, 0)
      expect(await under.store.stats()).toEqual({
        documents: 1,
        updates: updates.length,
        bytes,
      })
      await under.store.close()
      const again = await reopen(under)
      await check(again)
      expect(await again.head()).toBe(last)
      expect(await again.stats()).toEqual({ documents: 1, updates: updates.length, bytes })
    })

    it('copies the update: changing the caller buffer after append changes nothing', async () => {
      const { store } = await fresh()
      const update = keyUpdate('k')
      const kept = update.slice()
      const pending = store.append('d', update)
      update.fill(0)
      await pending
      expect((await store.load('d')).updates).toEqual([kept])
    })

    it('numbers changes monotonically across documents, in call order', async () => {
      const { store } = await fresh()
      const docs = ['a', 'b', 'c']
      const awaited: number[] = []
      for (let i = 0; i < 9; i++) awaited.push(await store.append(docs[i % 3]!, keyUpdate(`k${i}`)))
      expect(awaited).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
      const burst = await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.append(docs[i % 3]!, keyUpdate(`b${i}`))),
      )
      expect(burst).toEqual(Array.from({ length: 30 }, (_, i) => 10 + i))
      expect(await store.head()).toBe(39)
      expect((await store.load('a')).seq).toBe(37)
      expect((await store.load('b')).seq).toBe(38)
      expect((await store.load('c')).seq).toBe(39)
    })

    it('lists changed documents by latest change, with limit and more', async () => {
      await withSeed(seed, async (gen) => {
        const { store } = await fresh()
        const latest = new Map<string, number>()
        for (let i = 0; i < 60; i++) {
          const docId = `doc${prng.uint32(gen, 0, 14)}`
          latest.set(docId, await store.append(docId, keyUpdate(`k${i}`)))
        }
        const expected = [...latest]
          .map(([docId, seq]) => ({ docId, seq }))
          .sort((a, b) => a.seq - b.seq)
        const all = await store.changesSince(0, 1000)
        expect(all).toEqual({ changes: expected, head: 60, more: false })
        // paging with a random limit gives the same list
        const limit = prng.uint32(gen, 1, 4)
        const paged: { docId: string; seq: number }[] = []
        let from = 0
        for (;;) {
          const page = await store.changesSince(from, limit)
          expect(page.changes.length).toBeLessThanOrEqual(limit)
          expect(page.head).toBe(60)
          paged.push(...page.changes)
          if (!page.more) break
          expect(page.changes.length).toBe(limit)
          from = page.changes[page.changes.length - 1]!.seq
        }
        expect(paged).toEqual(expected)
        // from the middle: only documents whose latest change is later
        const mid = prng.uint32(gen, 1, 59)
        expect((await store.changesSince(mid, 1000)).changes).toEqual(
          expected.filter((c) => c.seq > mid),
        )
        expect(await store.changesSince(60, 10)).toEqual({ changes: [], head: 60, more: false })
        // a cursor above head (from data this store lost) answers nothing, with head
        expect(await store.changesSince(1000, 10)).toEqual({ changes: [], head: 60, more: false })
      })
    })

    it('lists the updates of a document stored after a sequence', async () => {
      const { store } = await fresh()
      const a1 = keyUpdate('a1')
      const a2 = keyUpdate('a2')
      const s1 = await store.append('a', a1)
      await store.append('b', keyUpdate('b1'))
      await store.append('a', a2)
      expect(await store.updatesSince('a', 0)).toEqual([a1, a2])
      expect(await store.updatesSince('a', s1)).toEqual([a2])
      expect(await store.updatesSince('a', await store.head())).toEqual([])
      expect(await store.updatesSince('never-stored', 0)).toEqual([])
      // after a compaction, the snapshot stands for the updates it merged
      expect(await store.compact('a')).toBe(true)
      expect(await store.updatesSince('a', s1)).toEqual((await store.load('a')).updates)
    })

    it('compacts a log into one snapshot that keeps content, seq and later appends', async () => {
      const { store } = await fresh()
      const { doc, updates } = recordingDoc()
      for (let i = 0; i < 40; i++) doc.getMap('m').set(`k${i % 7}`, i)
      doc.getText('t').insert(0, 'snapshot')
      let last = 0
      for (const u of updates) last = await store.append('d', u)
      await store.append('other', keyUpdate('x'))
      const head = await store.head()
      const before = await store.changesSince(0, 10)
      const statsBefore = await store.stats()
      expect(await store.compact('d')).toBe(true)
      const log = await store.load('d')
      expect(log.updates).toHaveLength(1)
      expect(log.seq).toBe(last)
      expect(contentOf(docFrom(log.updates))).toEqual(contentOf(doc))
      expect(await store.head()).toBe(head)
      expect(await store.changesSince(0, 10)).toEqual(before)
      expect(await store.needsCompaction('d')).toBe(false)
      const statsAfter = await store.stats()
      expect(statsAfter.documents).toBe(statsBefore.documents)
      expect(statsAfter.updates).toBe(statsBefore.updates - updates.length + 1)
      expect(statsAfter.bytes).toBe(
        statsBefore.bytes - updates.reduce((s, u) => s + u.length, 0) + log.updates[0]!.length,
      )
      // nothing more to merge
      expect(await store.compact('d')).toBe(false)
      expect(await store.compact('never-stored')).toBe(false)
      // later appends go after the snapshot
      updates.length = 0
      doc.getMap('m').set('after', true)
      const after = await store.append('d', updates[0]!)
      expect(after).toBe(head + 1)
      const later = await store.load('d')
      expect(later.seq).toBe(after)
      expect(later.updates).toHaveLength(2)
      expect(contentOf(docFrom(later.updates))).toEqual(contentOf(doc))
    })

    it('keeps appends that race with a compaction', async () => {
      const { store } = await fresh()
      const { doc, updates } = recordingDoc()
      for (let i = 0; i < 30; i++) doc.getMap('m').set(`k${i}`, i)
      await Promise.all(updates.map((u) => store.append('d', u)))
      updates.length = 0
      for (let i = 0; i < 10; i++) doc.getMap('m').set(`late${i}`, i)
      const racing = updates.map((u) => store.append('d', u))
      const compacted = store.compact('d')
      const more = updates.map((u) => store.append('d', u))
      const seqs = await Promise.all([...racing, ...more])
      await compacted
      await store.compact('d')
      const log = await store.load('d')
      expect(log.seq).toBe(Math.max(...seqs))
      expect(contentOf(docFrom(log.updates))).toEqual(contentOf(doc))
    })

    it('commits many concurrent appends to many documents, each exactly once', async () => {
      await withSeed(seed + 1, async (gen) => {
        const under = await fresh()
        const docs = Array.from({ length: 20 }, () => recordingDoc())
        const work: Promise<number>[] = []
        const sent: { docIndex: number; key: string }[] = []
        for (let i = 0; i < 500; i++) {
          const docIndex = prng.uint32(gen, 0, docs.length - 1)
          const target = docs[docIndex]!
          target.updates.length = 0
          target.doc.getMap('m').set(`k${i}`, i)
          work.push(under.store.append(`doc${docIndex}`, target.updates[0]!))
          sent.push({ docIndex, key: `k${i}` })
          if (prng.uint32(gen, 0, 50) === 0) await Promise.resolve()
        }
        const seqs = await Promise.all(work)
        expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i + 1))
        await under.store.close()
        const again = await reopen(under)
        for (let d = 0; d < docs.length; d++) {
          const log = await again.load(`doc${d}`)
          expect(contentOf(docFrom(log.updates))).toEqual(contentOf(docs[d]!.doc))
        }
        expect((await again.stats()).updates).toBe(500)
      })
    })

    it('keeps peer cursors across a reopen', async () => {
      const under = await fresh()
      const { store } = under
      await store.setPeerCursor('relay-b', { epoch: 'e1', seq: 10 })
      await store.setPeerCursor('relay-c', { epoch: 'e9', seq: 0 })
      expect(await store.getPeerCursor('relay-b')).toEqual({ epoch: 'e1', seq: 10 })
      const pending = store.setPeerCursor('relay-b', { epoch: 'e2', seq: 3 })
      expect(await store.getPeerCursor('relay-b')).toEqual({ epoch: 'e2', seq: 3 })
      await pending
      await store.close()
      const again = await reopen(under)
      expect(await again.getPeerCursor('relay-b')).toEqual({ epoch: 'e2', seq: 3 })
      expect(await again.getPeerCursor('relay-c')).toEqual({ epoch: 'e9', seq: 0 })
      expect(await again.getPeerCursor('relay-d')).toBeUndefined()
    })

    it('keeps its epoch across reopens and starts a new one when restored from an older copy', async () => {
      const under = await fresh()
      const first = under.store.epoch
      await under.store.append('d', keyUpdate('a'))
      await under.store.close()
      const second = await reopen(under)
      expect(second.epoch).toBe(first)
      await second.close()
      const restore = await under.backup()
      const third = await reopen(under)
      expect(third.epoch).toBe(first)
      await third.append('d', keyUpdate('b'))
      await third.append('e', keyUpdate('c'))
      expect(await third.head()).toBe(3)
      await third.close()
      await restore()
      const restored = await reopen(under)
      expect(restored.epoch).not.toBe(first)
      expect(await restored.head()).toBe(1)
      // the new epoch is stable from then on
      const renumbered = await restored.append('d', keyUpdate('z'))
      expect(renumbered).toBe(2)
      await restored.close()
      const after = await reopen(under)
      expect(after.epoch).toBe(restored.epoch)
    })

    it('rejects every call with closed once closed; close is idempotent', async () => {
      const { store } = await fresh()
      await store.append('d', keyUpdate('a'))
      await store.close()
      await store.close()
      await expectCode(store.load('d'), StoreErrorCodes.Closed)
      await expectCode(store.append('d', keyUpdate('b')), StoreErrorCodes.Closed)
      await expectCode(store.changesSince(0, 1), StoreErrorCodes.Closed)
      await expectCode(store.head(), StoreErrorCodes.Closed)
      await expectCode(store.compact('d'), StoreErrorCodes.Closed)
      await expectCode(store.needsCompaction('d'), StoreErrorCodes.Closed)
      await expectCode(store.getPeerCursor('p'), StoreErrorCodes.Closed)
      await expectCode(store.setPeerCursor('p', { epoch: 'e', seq: 1 }), StoreErrorCodes.Closed)
      await expectCode(store.stats(), StoreErrorCodes.Closed)
    })

    it('commits appends issued right before close', async () => {
      const under = await fresh()
      const pending = under.store.append('d', keyUpdate('last'))
      await under.store.close()
      const seq = await pending
      const again = await reopen(under)
      expect((await again.load('d')).seq).toBe(seq)
    })

    it('refuses bad arguments with bad-argument', async () => {
      const { store } = await fresh()
      const bad = StoreErrorCodes.BadArgument
      await expectCode(store.load(''), bad)
      await expectCode(store.load(42 as unknown as string), bad)
      await expectCode(store.append('', keyUpdate('a')), bad)
      await expectCode(store.append('d', 'text' as unknown as Uint8Array), bad)
      await expectCode(store.append('d', new Uint8Array(0)), bad)
      await expectCode(store.changesSince(-1, 10), bad)
      await expectCode(store.changesSince(0.5, 10), bad)
      await expectCode(store.changesSince(0, 0), bad)
      await expectCode(store.setPeerCursor('', { epoch: 'e', seq: 1 }), bad)
      await expectCode(store.setPeerCursor('p', { epoch: '', seq: 1 }), bad)
      await expectCode(store.setPeerCursor('p', { epoch: 'e', seq: -1 }), bad)
      await expectCode(
        store.setPeerCursor('p', null as unknown as { epoch: string; seq: number }),
        bad,
      )
      expect(await store.head()).toBe(0)
    })

    it('finds the 100 documents changed after a cursor among 10,000', async () => {
      await withSeed(seed + 2, async (gen) => {
        const { store } = await fresh()
        const update = keyUpdate('v')
        const ids = Array.from({ length: 10_000 }, (_, i) => `p/user${i}/2026-03`)
        await Promise.all(ids.map((id) => store.append(id, update)))
        const mark = await store.head()
        expect(mark).toBe(10_000)
        const changed = new Set<string>()
        while (changed.size < 100) changed.add(ids[prng.uint32(gen, 0, ids.length - 1)]!)
        const order = [...changed]
        for (const id of order) await store.append(id, keyUpdate('w'))
        const page = await store.changesSince(mark, 1000)
        expect(page.more).toBe(false)
        expect(page.head).toBe(mark + 100)
        expect(page.changes).toEqual(order.map((docId, i) => ({ docId, seq: mark + 1 + i })))
        const first = await store.changesSince(mark, 40)
        expect(first.changes.map((c) => c.docId)).toEqual(order.slice(0, 40))
        expect(first.more).toBe(true)
        expect((await store.stats()).documents).toBe(10_000)
      })
    })
  })
}
