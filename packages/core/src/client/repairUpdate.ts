/**
 * The repair step of a (re)connect (DESIGN.md, "The guard"): the relay
 * answers a subscription with its state vector and what the client misses
 * (a Yjs update, which carries the relay's whole delete set); the client
 * sends back its own items and deletions that the relay lacks, so a relay
 * that lost data, or that another relay never reached, is repaired by the
 * author.
 *
 * `Y.encodeStateAsUpdate(doc, stateVector)` would not do: it carries every
 * client's items and the whole delete set, and the guard refuses other
 * authors' entries and deletions from a client connection. So the update is
 * written here with Yjs's public encoder, exactly as Yjs writes one (v1):
 * the structs of each client id (device) whose entries are all this
 * author's, from the relay's clock on, then the deleted ranges of those
 * devices that the relay's delete set does not hold.
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import type { UserId } from '../Identity.js'
import { parseRecordKey, RECORDS } from '../recordMap.js'

/** Deleted clocks `[clock, clock + len)` of one client id. */
export interface ClockRange {
  /** First deleted clock. */
  clock: number
  /** Number of deleted clocks. */
  len: number
}

/** What a relay holds of one document, as far as the client knows. */
export interface RelayDocState {
  /** The relay's clock per client id (its state vector). */
  clocks: Map<number, number>
  /** Deleted ranges per client id (its delete set), possibly overlapping. */
  deleted: Map<number, ClockRange[]>
}

/**
 * The relay's state of a document from its `synced` answer: its state
 * vector, and the delete set carried by the update it sent. Bytes that do
 * not decode count as "nothing known", so the repair errs towards sending
 * more (what a relay already has is ignored, not refused).
 */
export function relayDocState(stateVector: Uint8Array, synced: Uint8Array): RelayDocState {
  let clocks: Map<number, number>
  try {
    clocks = Y.decodeStateVector(stateVector)
  } catch {
    clocks = new Map()
  }
  const state: RelayDocState = { clocks, deleted: new Map() }
  addDeletions(state, synced)
  return state
}

/**
 * Counts an update the relay will apply before the repair (an outbox entry
 * already sent on the same connection): its items extend the relay's
 * clocks where they follow on, its deletions join the relay's delete set.
 */
export function addInFlight(state: RelayDocState, update: Uint8Array): void {
  let meta: { from: Map<number, number>; to: Map<number, number> }
  try {
    meta = Y.parseUpdateMeta(update)
  } catch {
    return
  }
  for (const [client, to] of meta.to) {
    const from = meta.from.get(client) ?? 0
    const known = state.clocks.get(client) ?? 0
    if (from <= known && to > known) state.clocks.set(client, to)
  }
  addDeletions(state, update)
}

/**
 * The update that repairs the relay: every item of the devices whose
 * entries are all `author`'s, from the relay's clock on, and the deletions
 * of those devices' items that the relay lacks. `null` when there is
 * nothing to send.
 */
export function repairUpdate(doc: Y.Doc, author: UserId, relay: RelayDocState): Uint8Array | null {
  const records: unknown = doc.share.get(RECORDS)
  const structsOut: { client: number; structs: Y.Item[]; from: number }[] = []
  const deletesOut: { client: number; ranges: ClockRange[] }[] = []
  for (const [client, structs] of doc.store.clients) {
    const items = ownItems(structs, records, author)
    const last = items?.[items.length - 1]
    if (items === null || last === undefined) continue
    const known = relay.clocks.get(client) ?? 0
    if (last.id.clock + last.length > known)
      structsOut.push({ client, structs: items, from: known })
    const ranges = subtract(deletedRanges(items), relay.deleted.get(client) ?? [])
    if (ranges.length > 0) deletesOut.push({ client, ranges })
  }
  if (structsOut.length === 0 && deletesOut.length === 0) return null
  // As Yjs's writeClientsStructs and writeDeleteSet (v1), clients in descending order.
  const encoder = new Y.UpdateEncoderV1()
  encoding.writeVarUint(encoder.restEncoder, structsOut.length)
  for (const { client, structs, from } of structsOut.sort((a, b) => b.client - a.client)) {
    const clock = Math.max(from, structs[0]!.id.clock)
    const start = Y.findIndexSS(structs, clock)
    const first = structs[start]!
    encoding.writeVarUint(encoder.restEncoder, structs.length - start)
    encoder.writeClient(client)
    encoding.writeVarUint(encoder.restEncoder, clock)
    first.write(encoder, clock - first.id.clock)
    for (let i = start + 1; i < structs.length; i++) structs[i]!.write(encoder, 0)
  }
  encoding.writeVarUint(encoder.restEncoder, deletesOut.length)
  for (const { client, ranges } of deletesOut.sort((a, b) => b.client - a.client)) {
    encoder.resetDsCurVal()
    encoding.writeVarUint(encoder.restEncoder, client)
    encoding.writeVarUint(encoder.restEncoder, ranges.length)
    for (const range of ranges) {
      encoder.writeDsClock(range.clock)
      encoder.writeDsLen(range.len)
    }
  }
  return encoder.toUint8Array()
}

/**
 * The structs of one client id when every one is an entry of `records`
 * whose key names `author` (a device writes as one author only); else null.
 */
function ownItems(
  structs: readonly (Y.Item | Y.GC)[],
  records: unknown,
  author: UserId,
): Y.Item[] | null {
  if (records === undefined) return null
  const items: Y.Item[] = []
  for (const struct of structs) {
    if (!(struct instanceof Y.Item) || struct.parent !== records) return null
    const key = struct.parentSub
    if (key === null || parseRecordKey(key)?.author !== author) return null
    items.push(struct)
  }
  return items
}

/** The deleted ranges of one client's structs, merged. */
function deletedRanges(items: readonly Y.Item[]): ClockRange[] {
  const ranges: ClockRange[] = []
  for (const item of items) {
    if (!item.deleted) continue
    const last = ranges[ranges.length - 1]
    if (last !== undefined && last.clock + last.len === item.id.clock) last.len += item.length
    else ranges.push({ clock: item.id.clock, len: item.length })
  }
  return ranges
}

/** `mine` (sorted, disjoint) without the clocks in `theirs` (any order, may overlap). */
function subtract(mine: readonly ClockRange[], theirs: readonly ClockRange[]): ClockRange[] {
  if (theirs.length === 0) return [...mine]
  const cuts = [...theirs].sort((a, b) => a.clock - b.clock)
  const out: ClockRange[] = []
  for (const range of mine) {
    let from = range.clock
    const end = range.clock + range.len
    for (const cut of cuts) {
      const cutEnd = cut.clock + cut.len
      if (cutEnd <= from) continue
      if (cut.clock >= end) break
      if (cut.clock > from) out.push({ clock: from, len: cut.clock - from })
      from = Math.max(from, cutEnd)
      if (from >= end) break
    }
    if (from < end) out.push({ clock: from, len: end - from })
  }
  return out
}

function addDeletions(state: RelayDocState, update: Uint8Array): void {
  let ds: ReturnType<typeof Y.decodeUpdate>['ds']
  try {
    ds = Y.decodeUpdate(update).ds
  } catch {
    return
  }
  for (const [client, items] of ds.clients) {
    let ranges = state.deleted.get(client)
    if (ranges === undefined) {
      ranges = []
      state.deleted.set(client, ranges)
    }
    for (const item of items) ranges.push({ clock: item.clock, len: item.len })
  }
}
