/**
 * IndexedDbStorage on fake-indexeddb: the storage contract (a restart is a
 * new connection on the same factory), plus what only a real database can
 * hold: garbage written straight into its object stores, a failing
 * transaction, a foreign or newer database, and a connection closed by
 * another tab.
 */
import { IDBFactory } from 'fake-indexeddb'
import { afterEach, describe, expect, it } from 'vitest'
import { IndexedDbStorage } from '../src/storage/IndexedDbStorage.js'
import { storageContract } from './storageContract.js'

storageContract('IndexedDbStorage', async () => {
  const factory = new IDBFactory()
  return {
    storage: await IndexedDbStorage.open('feedmesh', { indexedDB: factory }),
    reopen: () => IndexedDbStorage.open('feedmesh', { indexedDB: factory }),
  }
})

const docId = 'u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const otherDoc = 'f/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

/** Opens the database behind the adapter's back (current version, or `version`). */
function rawOpen(
  factory: IDBFactory,
  name: string,
  version?: number,
  upgrade?: (db: IDBDatabase) => void,
): Promise<IDBDatabase> {
  const req = factory.open(name, version)
  if (upgrade !== undefined) req.onupgradeneeded = () => upgrade(req.result)
  return request(req)
}

/** Writes `value` (at `key`, for stores without a key path) straight into a store. */
async function rawPut(
  factory: IDBFactory,
  store: string,
  value: unknown,
  key?: IDBValidKey,
): Promise<void> {
  const db = await rawOpen(factory, 'feedmesh')
  await request(db.transaction(store, 'readwrite').objectStore(store).put(value, key))
  db.close()
}

async function expectCode(work: Promise<unknown>, code: string): Promise<void> {
  await expect(work).rejects.toMatchObject({ name: 'FeedmeshError', code })
}

describe('IndexedDbStorage on disk', () => {
  const opened: IndexedDbStorage[] = []
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close()
  })
  async function open(factory: IDBFactory): Promise<IndexedDbStorage> {
    const storage = await IndexedDbStorage.open('feedmesh', { indexedDB: factory })
    opened.push(storage)
    return storage
  }

  it.each([
    ['a string instead of bytes', { docId, update: 'not bytes' }],
    ['a plain array instead of bytes', { docId, update: [1, 2, 3] }],
    ['no update at all', { docId }],
    ['a fractional sequence number', { docId, seq: 2.5, update: new Uint8Array([1]) }],
    ['a string sequence number', { docId, seq: 'x', update: new Uint8Array([1]) }],
  ])('reports %s in a document log as a storage error', async (_, junk) => {
    const factory = new IDBFactory()
    const storage = await open(factory)
    await storage.append(docId, new Uint8Array([1]), false)
    await storage.append(otherDoc, new Uint8Array([2]), false)
    await rawPut(factory, 'updates', junk)
    await expectCode(storage.load(docId), 'storage')
    // A damaged document does not take the others down.
    expect((await storage.load(otherDoc)).updates).toEqual([new Uint8Array([2])])
  })

  it('reports a damaged outbox entry and metadata value as storage errors', async () => {
    const factory = new IDBFactory()
    const storage = await open(factory)
    await storage.append(docId, new Uint8Array([1]), true)
    await rawPut(factory, 'outbox', { seq: 99, docId, update: { not: 'bytes' } })
    await rawPut(factory, 'meta', 42, 'epoch')
    await expectCode(storage.outbox(), 'storage')
    await expectCode(storage.getMeta('epoch'), 'storage')
    await storage.removeFromOutbox([99])
    expect((await storage.outbox()).length).toBe(1)
  })

  it('reports a damaged document id and damaged keys as storage errors', async () => {
    const factory = new IDBFactory()
    const storage = await open(factory)
    await storage.append(docId, new Uint8Array([1]), false)
    await rawPut(factory, 'updates', { docId: 7, update: new Uint8Array([1]) })
    await expectCode(storage.listDocs(), 'storage')
    await rawPut(factory, 'updates', { docId, seq: 'zz', update: new Uint8Array([1]) })
    await expectCode(storage.compact(docId, new Uint8Array([9]), 5), 'storage')
  })

  it('stores neither the update nor its outbox entry when the transaction fails', async () => {
    const factory = new IDBFactory()
    const storage = await open(factory)
    const s1 = await storage.append(docId, new Uint8Array([1]), true)
    // Occupy the next outbox slot so that the outbox write of the next append fails.
    await rawPut(factory, 'outbox', { seq: s1 + 1, docId: otherDoc, update: new Uint8Array([0]) })
    await expectCode(storage.append(docId, new Uint8Array([2]), true), 'storage')
    expect(await storage.load(docId)).toEqual({ updates: [new Uint8Array([1])], head: s1 })
    expect((await storage.outbox()).map((e) => e.seq)).toEqual([s1, s1 + 1])
  })

  it('refuses a foreign database of the same name and a newer one', async () => {
    const foreign = new IDBFactory()
    ;(await rawOpen(foreign, 'feedmesh', 1, (db) => db.createObjectStore('things'))).close()
    await expectCode(IndexedDbStorage.open('feedmesh', { indexedDB: foreign }), 'storage')
    const newer = new IDBFactory()
    ;(await rawOpen(newer, 'feedmesh', 7, () => undefined)).close()
    await expectCode(IndexedDbStorage.open('feedmesh', { indexedDB: newer }), 'storage')
  })

  it('needs an IndexedDB factory', async () => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined()
    await expectCode(IndexedDbStorage.open('feedmesh'), 'storage')
  })

  it('closes when another connection deletes the database', async () => {
    const factory = new IDBFactory()
    const storage = await open(factory)
    await storage.append(docId, new Uint8Array([1]), true)
    await request(factory.deleteDatabase('feedmesh'))
    await expectCode(storage.load(docId), 'closed')
    await expectCode(storage.append(docId, new Uint8Array([2]), true), 'closed')
  })

  it('keeps documents apart in one database and numbers them store-wide across connections', async () => {
    const factory = new IDBFactory()
    const a = await open(factory)
    const b = await open(factory)
    const [s1, s2] = await Promise.all([
      a.append(docId, new Uint8Array([1]), false),
      b.append(docId, new Uint8Array([2]), false),
    ])
    expect(s1).not.toBe(s2)
    expect((await a.load(docId)).updates.length).toBe(2)
    expect((await factory.databases()).map((d) => d.name)).toEqual(['feedmesh'])
  })
})
