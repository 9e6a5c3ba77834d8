/**
 * A client device for mesh tests: one identity (several devices may share
 * one), its own replica of each document it writes (only what it wrote, or
 * was given), and a raw protocol connection to one relay at a time. It
 * records every write the relay acknowledged (the highest acknowledged
 * `rev` per record, and the Yjs item id of every acknowledged record),
 * which is what tests check on every relay at the end.
 *
 * Connecting `repair` sends the relay what it lacks of the replicas (like
 * the real client's repair), so writes never acknowledged still land.
 * Connecting `fresh` drops the replicas and starts new ones from the
 * relay's state (a new Yjs client id per document): nothing the device
 * holds can then hide a write the mesh lost.
 */
import { type DocId, type Identity, MessageTypes, type RecordWrite } from '@feedmesh/core'
import * as Y from 'yjs'
import { RawClient } from './RawClient.js'
import { write } from './records.js'

/** A write waiting for its answer. */
interface Pending {
  docId: DocId
  slots: { slot: string; rev: number; yid: readonly [number, number] }[]
}

/** How {@link Device.connect} treats the replicas. */
export type ConnectMode = 'repair' | 'fresh'

/** One device (see the module comment). */
export class Device {
  /** The device's user. */
  readonly identity: Identity
  /** The device's name, for messages. */
  readonly name: string
  /** Its replicas. */
  readonly docs = new Map<DocId, Y.Doc>()
  /** Highest acknowledged rev per `docId author/id`. */
  readonly acked = new Map<string, number>()
  /** Yjs item ids `[client, clock]` of every acknowledged record, by document. */
  readonly ackedItems = new Map<DocId, (readonly [number, number])[]>()
  /** Writes sent and not yet answered, by ref. */
  readonly pending = new Map<number, Pending>()
  /** Number of writes acknowledged. */
  ackedWrites = 0
  /** Refusals received (should stay empty). */
  readonly refusals: string[] = []
  /** Timestamp of the next write. */
  #at = 1_767_225_600_000
  #client: RawClient | undefined

  /**
   * @param identity the device's user
   * @param name a name for messages
   */
  constructor(identity: Identity, name: string) {
    this.identity = identity
    this.name = name
  }

  /** The current connection, if any. */
  get client(): RawClient | undefined {
    return this.#client
  }

  /** The device's replica of `docId` (created empty). */
  doc(docId: DocId): Y.Doc {
    let doc = this.docs.get(docId)
    if (doc === undefined) {
      doc = new Y.Doc()
      this.docs.set(docId, doc)
    }
    return doc
  }

  /** Gives this device another device's replica of `docId` (a second device of the same user). */
  adopt(from: Device, docId: DocId): void {
    Y.applyUpdate(this.doc(docId), Y.encodeStateAsUpdate(from.doc(docId)))
  }

  /** Connects to `url` (see the module comment for the modes). */
  async connect(url: string, mode: ConnectMode = 'repair'): Promise<void> {
    await this.disconnect()
    const client = await RawClient.open(url, this.identity)
    this.#client = client
    void client.closed.then(() => {
      if (this.#client === client) this.#client = undefined
    })
    const docIds = [...this.docs.keys()]
    if (docIds.length === 0) return
    const frames = await client.subscribe(
      docIds.map((docId) => ({ docId, stateVector: Y.encodeStateVector(this.doc(docId)) })),
    )
    // the device only needs the relay's state vectors: it sends what the relay lacks
    const theirs = new Map<DocId, Uint8Array>()
    for (const frame of frames) for (const e of frame.docs) theirs.set(e.docId, e.stateVector)
    client.send({ type: MessageTypes.Unsubscribe, docIds })
    client.inbox.length = 0
    if (mode === 'fresh') {
      const state = await client.subscribe(
        docIds.map((docId) => ({ docId, stateVector: new Uint8Array([0]) })),
      )
      client.send({ type: MessageTypes.Unsubscribe, docIds })
      for (const docId of docIds) this.docs.set(docId, new Y.Doc())
      for (const frame of state)
        for (const e of frame.docs) Y.applyUpdate(this.doc(e.docId), e.update)
      client.inbox.length = 0
      return
    }
    for (const [docId, sv] of theirs) {
      const doc = this.doc(docId)
      const relayClocks = Y.decodeStateVector(sv)
      const lacks = [...Y.decodeStateVector(Y.encodeStateVector(doc))].some(
        ([client, clock]) => (relayClocks.get(client) ?? 0) < clock,
      )
      if (lacks) this.#send(docId, Y.encodeStateAsUpdate(doc, sv), [])
    }
  }

  /** Closes the connection (pending writes stay unanswered). */
  async disconnect(): Promise<void> {
    const client = this.#client
    this.#client = undefined
    this.pending.clear()
    if (client !== undefined) await client.close()
  }

  /** Writes records into the replica and sends the update when connected; returns the update. */
  write(docId: DocId, writes: readonly RecordWrite[]): Uint8Array {
    const { update, records } = write(this.doc(docId), docId, this.identity, writes, this.#at++)
    this.#send(
      docId,
      update,
      records.map((r) => ({ slot: `${r.author}/${r.id}`, rev: r.rev, yid: r.yid })),
    )
    return update
  }

  #send(docId: DocId, update: Uint8Array, slots: Pending['slots']): void {
    const client = this.#client
    if (client === undefined || client.socket.readyState !== client.socket.OPEN) return
    let ref: number
    try {
      ref = client.update(docId, update)
    } catch {
      return
    }
    this.pending.set(ref, { docId, slots })
    void client.result(ref, 60_000).then(
      (result) => {
        if (!this.pending.delete(ref)) return
        if (!result.ok) {
          this.refusals.push(`${this.name} ${docId}: ${result.error.code} ${result.error.message}`)
          return
        }
        this.ackedWrites++
        for (const { slot, rev, yid } of slots) {
          const key = `${docId} ${slot}`
          if ((this.acked.get(key) ?? 0) < rev) this.acked.set(key, rev)
          const items = this.ackedItems.get(docId) ?? []
          items.push(yid)
          this.ackedItems.set(docId, items)
        }
      },
      () => this.pending.delete(ref),
    )
  }

  /** Waits (bounded) until every write sent on the current connection has its answer. */
  async settle(timeoutMs = 20_000): Promise<void> {
    const deadline = performance.now() + timeoutMs
    while (this.pending.size > 0) {
      if (performance.now() > deadline) {
        throw new Error(`${this.name}: ${this.pending.size} write(s) unanswered`)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}
