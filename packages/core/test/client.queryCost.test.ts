/**
 * The cost of live queries: a timeline over many followed users computes a
 * bounded number of times while its documents load (not once per
 * document), verifies only the posts it shows, recomputes once for a batch
 * of relay updates, and keeps local writes synchronous. Also the building
 * blocks: the incremental DocReader against a from-scratch one, lazy
 * readers, and the k-way merge.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DocReader } from '../src/client/DocReader.js'
import { DocStore } from '../src/client/DocStore.js'
import { DropStats } from '../src/client/DropStats.js'
import { FeedClient } from '../src/client/FeedClient.js'
import { newId } from '../src/client/ids.js'
import { mergeSorted } from '../src/client/mergeSorted.js'
import { PostsQuery } from '../src/client/PostsQuery.js'
import { ThreadQuery } from '../src/client/ThreadQuery.js'
import { type DocId, monthOf, postsDocId, threadDocId, userDocId } from '../src/docIds.js'
import { Identity } from '../src/Identity.js'
import { keyOfRecord, type RecordWrite, recordsOf, writeRecords } from '../src/recordMap.js'
import { RecordVerifier, type SignedRecord, signRecord } from '../src/records.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import { injectForged, injectWrite } from './helpers/clientFixtures.js'
import { fcParams, runs } from './helpers/fuzz.js'

const jan = Date.UTC(2026, 0, 10)
const hour = 3_600_000

const stores: DocStore[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()))
})

/** A store; no partial results while loading unless `progressDelayMs` says so (counts stay exact). */
function openStore(
  storage: MemoryStorage,
  verifier = new RecordVerifier(),
  progressDelayMs = 60_000,
) {
  const drops = new DropStats()
  const store = new DocStore({
    storage,
    identity: Identity.generate(),
    verifier,
    drops,
    progressDelayMs,
  })
  stores.push(store)
  return { store, drops, verifier }
}

/** A verifier whose checks wait while held. */
class GatedVerifier extends RecordVerifier {
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
  override async verify(record: SignedRecord): Promise<boolean> {
    const gate = this.#gate
    if (gate !== null) await gate
    return super.verify(record)
  }
}

/**
 * `users` followed users, each with `posts` posts in January (an hour
 * apart, user i's posts i ms later), written straight into storage.
 */
async function seedTimeline(storage: MemoryStorage, users: number, posts: number) {
  const reader = Identity.generate()
  const authors = Array.from({ length: users }, () => Identity.generate())
  const month = monthOf(jan)
  for (const [i, author] of authors.entries()) {
    const writes: RecordWrite[] = Array.from({ length: posts }, (_, p) => ({
      type: 'post',
      id: newId(jan + p * hour + i),
      body: { text: `post ${p} of ${i}` },
    }))
    await injectWrite(storage, postsDocId(author.userId, month), author, writes, jan)
    const bucket: RecordWrite = { type: 'bucket', id: month, body: {} }
    await injectWrite(storage, userDocId(author.userId), author, [bucket], jan)
  }
  const follows: RecordWrite[] = authors.map((a) => ({ type: 'follow', id: a.userId, body: {} }))
  await injectWrite(storage, userDocId(reader.userId), reader, follows, jan)
  // Newest first: the last post hour, highest user index first.
  const expected: string[] = []
  for (let p = posts - 1; p >= 0; p--) {
    for (let i = users - 1; i >= 0; i--) expected.push(`post ${p} of ${i}`)
  }
  return { reader, authors, expected }
}

describe('timeline cost', () => {
  it('loading 200 followed users computes a bounded number of times and verifies only what it shows', async () => {
    const storage = new MemoryStorage()
    const { reader, expected } = await seedTimeline(storage, 200, 3)
    const { store, verifier } = openStore(storage)
    const timeline = new PostsQuery(store, { timelineOf: reader.userId }, 20)
    const view = await timeline.ready
    expect(view.posts.map((p) => p.text)).toEqual(expected.slice(0, 20))
    expect(view.hasMore).toBe(true)
    // One per level: u/<reader>, the 200 u/ documents, the 200 buckets, the
    // page's 20 posts verified and its threads (never one per document).
    expect(timeline.computations).toBeLessThanOrEqual(6)
    // 200 follows, 200 bucket records, the 20 posts shown and the one after them.
    expect(verifier.checked).toBe(200 + 200 + 21)
    // u/ documents, buckets and threads; nothing else.
    expect(timeline.heldDocs).toBe(1 + 200 + 200 + 20)

    // The same timeline again, its documents open: one computation, ready at once.
    const again = new PostsQuery(store, { timelineOf: reader.userId }, 20)
    expect(again.current).toEqual(view)
    await again.ready
    expect(again.computations).toBe(1)

    const before = timeline.computations
    await timeline.loadMore()
    expect(timeline.current.posts.map((p) => p.text)).toEqual(expected.slice(0, 40))
    expect(timeline.computations - before).toBeLessThanOrEqual(4)
    expect(verifier.checked).toBe(200 + 200 + 41)
    timeline.close()
    again.close()
    await store.settled()
    expect(store.openCount).toBe(0)
  })

  it('a batch of relay updates to many open buckets recomputes a few times, not once per update', async () => {
    const storage = new MemoryStorage()
    const { reader, authors } = await seedTimeline(storage, 30, 1)
    const { store } = openStore(storage)
    const timeline = new PostsQuery(store, { timelineOf: reader.userId }, 10)
    await timeline.ready
    await store.settled()
    const before = timeline.computations
    const month = monthOf(jan)
    for (const [i, author] of authors.entries()) {
      const docId = postsDocId(author.userId, month)
      const doc = new Y.Doc()
      const write: RecordWrite = {
        type: 'post',
        id: newId(jan + 5 * hour + i),
        body: { text: `new ${i}` },
      }
      writeRecords(doc, docId, author, [write], jan + 5 * hour)
      void store.applyRemote(docId, Y.encodeStateAsUpdate(doc))
    }
    await store.settled()
    expect(timeline.current.posts.map((p) => p.text)).toEqual(
      Array.from({ length: 10 }, (_, k) => `new ${29 - k}`),
    )
    // One for the updates, one once the posts it demanded are verified (and
    // at most a few more if verification outlasts the progress delay).
    expect(timeline.computations - before).toBeLessThanOrEqual(5)
    timeline.close()
  })

  it('while a document loads slowly, partial results show after progressDelayMs, and only then', async () => {
    for (const delay of [5, 60_000]) {
      const inner = new MemoryStorage()
      const { reader, authors } = await seedTimeline(inner, 3, 1)
      const slow = postsDocId(authors[0]!.userId, monthOf(jan))
      let release: () => void = () => undefined
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      // A storage whose load of one bucket waits until released.
      const storage = Object.create(inner) as MemoryStorage
      storage.load = async (docId: DocId) => {
        if (docId === slow) await held
        return inner.load(docId)
      }
      const { store } = openStore(storage, new RecordVerifier(), delay)
      const timeline = new PostsQuery(store, { timelineOf: reader.userId }, 10)
      let ready = false
      void timeline.ready.then(() => {
        ready = true
      })
      await new Promise((r) => setTimeout(r, 100))
      expect(ready).toBe(false)
      expect(timeline.current.posts.map((p) => p.text)).toEqual(
        delay === 5 ? ['post 0 of 2', 'post 0 of 1'] : [],
      )
      release()
      await timeline.ready
      expect(timeline.current.posts.map((p) => p.text)).toEqual([
        'post 0 of 2',
        'post 0 of 1',
        'post 0 of 0',
      ])
      timeline.close()
    }
  })

  it('a local write shows in the open timeline before write() returns', async () => {
    const storage = new MemoryStorage()
    const me = Identity.generate()
    const drops = new DropStats()
    const store = new DocStore({ storage, identity: me, verifier: new RecordVerifier(), drops })
    stores.push(store)
    const month = monthOf(jan)
    const bucket = postsDocId(me.userId, month)
    await store.acquire(bucket)
    await store.acquire(userDocId(me.userId))
    store.write(userDocId(me.userId), [{ type: 'bucket', id: month, body: {} }], jan)
    const timeline = new PostsQuery(store, { timelineOf: me.userId }, 5)
    await timeline.ready
    store.write(bucket, [{ type: 'post', id: newId(jan), body: { text: 'mine' } }], jan)
    expect(timeline.current.posts.map((p) => p.text)).toEqual(['mine'])
    timeline.close()
    store.release(bucket)
    store.release(userDocId(me.userId))
  })

  it('a forged newest post is verified, dropped and counted, and the next post takes its place', async () => {
    const storage = new MemoryStorage()
    const author = Identity.generate()
    const month = monthOf(jan)
    const bucket = postsDocId(author.userId, month)
    const writes: RecordWrite[] = Array.from({ length: 30 }, (_, p) => ({
      type: 'post',
      id: newId(jan + p),
      body: { text: `post ${p}` },
    }))
    await injectWrite(storage, bucket, author, writes, jan)
    await injectWrite(
      storage,
      userDocId(author.userId),
      author,
      [{ type: 'bucket', id: month, body: {} }],
      jan,
    )
    const forged: RecordWrite = { type: 'post', id: newId(jan + hour), body: { text: 'signed' } }
    await injectForged(storage, bucket, author, forged, { text: 'forged' }, jan + hour)
    const { store, drops, verifier } = openStore(storage)
    const posts = new PostsQuery(store, { postsOf: author.userId }, 3)
    await posts.ready
    expect(posts.current.posts.map((p) => p.text)).toEqual(['post 29', 'post 28', 'post 27'])
    expect(drops.byReason.signature).toBe(1)
    // The bucket record, the forgery and the four newest real posts: not the 30.
    expect(verifier.checked).toBe(1 + 1 + 4)
    posts.close()
  })

  it('a relay edit of a shown post shows once verified, never before', async () => {
    const storage = new MemoryStorage()
    const author = Identity.generate()
    const month = monthOf(jan)
    const bucket = postsDocId(author.userId, month)
    const postId = newId(jan)
    await injectWrite(
      storage,
      bucket,
      author,
      [{ type: 'post', id: postId, body: { text: 'v1' } }],
      jan,
    )
    await injectWrite(
      storage,
      userDocId(author.userId),
      author,
      [{ type: 'bucket', id: month, body: {} }],
      jan,
    )
    const verifier = new GatedVerifier()
    const { store } = openStore(storage, verifier)
    const posts = new PostsQuery(store, { postsOf: author.userId }, 5)
    await posts.ready
    expect(posts.current.posts.map((p) => p.text)).toEqual(['v1'])
    const seen: string[][] = []
    posts.subscribe((v) => seen.push(v.posts.map((p) => p.text)))
    // The author edits on another device; a relay delivers it (the edit
    // supersedes, i.e. deletes, v1 in the same transaction).
    const other = new Y.Doc()
    for (const u of (await storage.load(bucket)).updates) Y.applyUpdate(other, u)
    const sv = Y.encodeStateVector(other)
    writeRecords(
      other,
      bucket,
      author,
      [{ type: 'post', id: postId, body: { text: 'v2' } }],
      jan + 1,
    )
    verifier.hold()
    void store.applyRemote(bucket, Y.encodeStateAsUpdate(other, sv))
    try {
      for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 1))
      expect(posts.current.posts.map((p) => p.text)).not.toContain('v2')
    } finally {
      verifier.release()
    }
    await store.settled()
    expect(posts.current.posts.map((p) => p.text)).toEqual(['v2'])
    expect(seen.at(-1)).toEqual(['v2'])
    expect(seen.slice(0, -1).flat()).not.toContain('v2')
    posts.close()
  })

  it('a relay record that fails verification changes nothing visible and costs no computation', async () => {
    const storage = new MemoryStorage()
    const author = Identity.generate()
    const guest = Identity.generate()
    const month = monthOf(jan)
    const postId = newId(jan)
    const ref = { author: author.userId, postId }
    await injectWrite(
      storage,
      postsDocId(author.userId, month),
      author,
      [{ type: 'post', id: postId, body: { text: 'p' } }],
      jan,
    )
    await injectWrite(
      storage,
      threadDocId(author.userId, postId),
      guest,
      [{ type: 'comment', id: newId(jan), body: { text: 'hi' } }],
      jan,
    )
    const { store, drops } = openStore(storage)
    const thread = new ThreadQuery(store, ref, guest.userId)
    await thread.ready
    await store.settled()
    expect(thread.current.comments.map((c) => c.text)).toEqual(['hi'])
    const before = thread.computations
    const value = thread.current
    const forged = new Y.Doc()
    const docId = threadDocId(author.userId, postId)
    for (const u of (await storage.load(docId)).updates) Y.applyUpdate(forged, u)
    const sv = Y.encodeStateVector(forged)
    const record = signRecord(guest, {
      doc: docId,
      author: guest.userId,
      type: 'comment',
      id: newId(jan + 1),
      rev: 1,
      at: jan + 1,
      yid: [forged.clientID, Y.getState(forged.store, forged.clientID)],
      body: { text: 'signed' },
    })
    recordsOf(forged).set(keyOfRecord(record), { ...record, body: { text: 'forged' } })
    void store.applyRemote(docId, Y.encodeStateAsUpdate(forged, sv))
    await store.settled()
    expect(drops.byReason.signature).toBe(1)
    expect(thread.current).toBe(value)
    expect(thread.computations).toBe(before)
    thread.close()
  })

  it('edits and deletes plan from verified records of a lazily read bucket (fresh process)', async () => {
    const storage = new MemoryStorage()
    const me = Identity.generate()
    const first = await FeedClient.open({ identity: me, storage, now: () => jan })
    const ref = await first.post('draft')
    const gone = await first.post('to delete')
    await first.close()
    // A new process: nothing in its signature cache.
    const client = await FeedClient.open({
      identity: me,
      storage,
      now: () => jan + 1,
      verifier: new RecordVerifier(),
    })
    await client.editPost(ref, 'final')
    await client.deletePost(gone)
    const posts = client.posts(me.userId)
    await posts.ready
    expect(posts.current.posts.map((p) => p.text)).toEqual(['final'])
    await client.close()
  })
})

describe('DocReader', () => {
  const authors = [Identity.generate(), Identity.generate()]
  const docId: DocId = postsDocId(authors[0]!.userId, monthOf(jan))
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('write' as const),
      author: fc.nat(1),
      id: fc.nat(3),
      deleted: fc.boolean(),
      replica: fc.nat(1),
    }),
    fc.record({ kind: fc.constant('forge' as const), id: fc.nat(3), replica: fc.nat(1) }),
    fc.record({ kind: fc.constant('junk' as const), replica: fc.nat(1) }),
    fc.record({ kind: fc.constant('sync' as const), from: fc.nat(1) }),
  )

  function snapshot(reader: DocReader) {
    const slots = new Set<string>()
    for (const a of authors) for (let id = 0; id < 4; id++) slots.add(`${a.userId}/p${id}`)
    return {
      records: [...reader.records].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, r]) => [s, r.sig]),
      deleted: [...slots].filter((s) => reader.isDeleted(s)).sort(),
    }
  }

  it('the incremental reader (eager, and lazy once all is demanded) equals one reading from scratch (seeded property)', async () => {
    const verifier = new RecordVerifier()
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const replicas = [new Y.Doc({ gc: false }), new Y.Doc({ gc: false })]
        const main = replicas[0]!
        const eager = new DocReader(docId, main, verifier, new DropStats())
        const lazy = new DocReader(docId, main, verifier, new DropStats(), true)
        let at = jan
        for (const o of ops) {
          at++
          if (o.kind === 'write') {
            // Only the bucket's owner may post: author 1's writes are dropped (permission).
            const body = o.deleted ? { deleted: true as const } : { text: `t${at}` }
            writeRecords(
              replicas[o.replica]!,
              docId,
              authors[o.author]!,
              [{ type: 'post', id: `p${o.id}`, body }],
              at,
            )
          } else if (o.kind === 'forge') {
            const doc = replicas[o.replica]!
            const record = signRecord(authors[0]!, {
              doc: docId,
              author: authors[0]!.userId,
              type: 'post',
              id: `p${o.id}`,
              rev: 9,
              at,
              yid: [doc.clientID, Y.getState(doc.store, doc.clientID)],
              body: { text: 'signed' },
            })
            recordsOf(doc).set(keyOfRecord(record), { ...record, body: { text: 'forged' } })
          } else if (o.kind === 'junk') {
            recordsOf(replicas[o.replica]!).set(`junk-${at}`, { not: 'a record' })
          } else {
            const to = replicas[1 - o.from]!
            Y.applyUpdate(to, Y.encodeStateAsUpdate(replicas[o.from]!, Y.encodeStateVector(to)))
          }
          if (o.kind === 'sync' || ('replica' in o && o.replica === 0)) {
            eager.refresh()
            await eager.verifyPending()
            eager.refresh()
          }
        }
        const fresh = new DocReader(docId, main, verifier, new DropStats())
        fresh.refresh()
        await fresh.verifyPending()
        fresh.refresh()
        eager.refresh()
        await eager.verifyPending()
        eager.refresh()
        expect(snapshot(eager)).toEqual(snapshot(fresh))
        expect(eager.pending).toBe(false)
        lazy.refresh()
        lazy.demandAll()
        await lazy.verifyPending()
        lazy.refresh()
        expect(snapshot(lazy)).toEqual(snapshot(fresh))
        for (const d of replicas) d.destroy()
      }),
      fcParams(runs(40, 400)),
    )
  })

  it('derive() computes once per version of the records', async () => {
    const verifier = new RecordVerifier()
    const author = authors[0]!
    const doc = new Y.Doc({ gc: false })
    const reader = new DocReader(docId, doc, verifier, new DropStats())
    let calls = 0
    const count = (r: DocReader) => {
      calls++
      return r.records.size
    }
    reader.refresh()
    expect(reader.derive(count)).toBe(0)
    expect(reader.derive(count)).toBe(0)
    expect(calls).toBe(1)
    const written = writeRecords(
      doc,
      docId,
      author,
      [{ type: 'post', id: 'a', body: { text: 'x' } }],
      jan,
    )
    for (const r of written) verifier.remember(r)
    expect(reader.refresh()).toBe(true)
    expect(reader.derive(count)).toBe(1)
    expect(reader.refresh()).toBe(false)
    expect(reader.derive(count)).toBe(1)
    expect(calls).toBe(2)
  })
})

describe('mergeSorted', () => {
  it('yields the items of sorted lists in order, as sorting them all would (seeded property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 50 }))), (raw) => {
        const lists = raw.map((l) => [...l].sort((a, b) => a - b))
        const merged = [...mergeSorted(lists, (a, b) => a - b)]
        expect(merged.map((m) => m.item)).toEqual(lists.flat().sort((a, b) => a - b))
        for (const m of merged) expect(lists[m.source]).toContain(m.item)
      }),
      fcParams(runs(100, 2000)),
    )
  })
})
