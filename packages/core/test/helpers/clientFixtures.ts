/**
 * Fixtures of the client tests: a storage wrapper that can hold appends (to
 * observe a write before it is durable), a clock, and injection of records
 * straight into a stored document.
 */
import * as Y from 'yjs'
import type { DocId } from '../../src/docIds.js'
import type { Identity } from '../../src/Identity.js'
import { keyOfRecord, type RecordWrite, recordsOf, writeRecords } from '../../src/recordMap.js'
import { type SignedRecord, signRecord } from '../../src/records.js'
import { MemoryStorage } from '../../src/storage/MemoryStorage.js'
import type { OutboxEntry, StorageAdapter, StoredDoc } from '../../src/storage/StorageAdapter.js'

/** A storage that forwards to another and can hold appends until released. */
export class GatedStorage implements StorageAdapter {
  readonly inner: StorageAdapter
  #gate: Promise<void> | null = null
  #open: () => void = () => undefined
  appends = 0

  constructor(inner: StorageAdapter = new MemoryStorage()) {
    this.inner = inner
  }

  /** Holds every append until {@link GatedStorage.release}. */
  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve
    })
  }

  release(): void {
    this.#gate = null
    this.#open()
  }

  load(docId: DocId): Promise<StoredDoc> {
    return this.inner.load(docId)
  }
  async append(docId: DocId, update: Uint8Array, toOutbox: boolean): Promise<number> {
    this.appends++
    const gate = this.#gate
    const seq = this.inner.append(docId, update, toOutbox)
    if (gate !== null) await gate
    return seq
  }
  compact(docId: DocId, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    return this.inner.compact(docId, snapshot, throughSeq)
  }
  listDocs(): Promise<DocId[]> {
    return this.inner.listDocs()
  }
  outbox(): Promise<OutboxEntry[]> {
    return this.inner.outbox()
  }
  removeFromOutbox(seqs: readonly number[]): Promise<void> {
    return this.inner.removeFromOutbox(seqs)
  }
  getMeta(key: string): Promise<string | undefined> {
    return this.inner.getMeta(key)
  }
  setMeta(key: string, value: string): Promise<void> {
    return this.inner.setMeta(key, value)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}

/** A settable clock. */
export function clock(start: number): { now: () => number; set(at: number): void } {
  let t = start
  return {
    now: () => t,
    set(at: number) {
      t = at
    },
  }
}

/** Writes records as `identity` into a fresh doc signed for `signedFor`, stored under `docId`. */
export async function injectWrite(
  storage: StorageAdapter,
  docId: DocId,
  identity: Identity,
  writes: readonly RecordWrite[],
  at: number,
  signedFor: DocId = docId,
): Promise<SignedRecord[]> {
  const doc = new Y.Doc()
  const stored = await storage.load(docId)
  for (const u of stored.updates) Y.applyUpdate(doc, u)
  const sv = Y.encodeStateVector(doc)
  const records = writeRecords(doc, signedFor, identity, writes, at)
  await storage.append(docId, Y.encodeStateAsUpdate(doc, sv), false)
  doc.destroy()
  return records
}

/** Stores a record whose body was changed after signing (a bad signature). */
export async function injectForged(
  storage: StorageAdapter,
  docId: DocId,
  identity: Identity,
  write: RecordWrite,
  forgedBody: unknown,
  at: number,
): Promise<void> {
  const doc = new Y.Doc()
  const stored = await storage.load(docId)
  for (const u of stored.updates) Y.applyUpdate(doc, u)
  const sv = Y.encodeStateVector(doc)
  const record = signRecord(identity, {
    doc: docId,
    author: identity.userId,
    type: write.type,
    id: write.id,
    rev: 1,
    at,
    yid: [doc.clientID, Y.getState(doc.store, doc.clientID)],
    body: write.body,
  })
  recordsOf(doc).set(keyOfRecord(record), { ...record, body: forgedBody })
  await storage.append(docId, Y.encodeStateAsUpdate(doc, sv), false)
  doc.destroy()
}
