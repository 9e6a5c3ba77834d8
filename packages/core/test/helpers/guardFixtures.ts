/**
 * Building blocks for the guard's tests: honest writes captured as the
 * updates Yjs really produces, replicas, and hand-encoded structs for
 * forgeries the Yjs API cannot express (several values in one entry,
 * placeholders of any length, garbage-collected ranges, split sections).
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import type { Identity } from '../../src/Identity.js'
import { type RecordWrite, recordsOf, writeRecords } from '../../src/recordMap.js'
import type { SignedRecord } from '../../src/records.js'

/** Runs `fn` and returns the one update it produced on `doc` (merged when several). */
export function capture(doc: Y.Doc, fn: () => void): Uint8Array {
  const updates: Uint8Array[] = []
  const onUpdate = (update: Uint8Array) => updates.push(update)
  doc.on('update', onUpdate)
  try {
    fn()
  } finally {
    doc.off('update', onUpdate)
  }
  if (updates.length === 0) throw new Error('nothing was written')
  return updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates)
}

/** Writes records honestly and returns the update and the signed records. */
export function write(
  doc: Y.Doc,
  docId: string,
  identity: Identity,
  writes: readonly RecordWrite[],
  at = 1_700_000_000_000,
): { update: Uint8Array; records: SignedRecord[] } {
  let records: SignedRecord[] = []
  const update = capture(doc, () => {
    records = writeRecords(doc, docId, identity, writes, at)
  })
  return { update, records }
}

/** A new document holding `updates` (applied in order). */
export function docWith(...updates: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc()
  for (const update of updates) Y.applyUpdate(doc, update)
  return doc
}

/**
 * A replica of `source` with its own client id, or with `clientID` when given
 * (set after syncing, so a device can continue its own client's clocks).
 */
export function replicaOf(source: Y.Doc | null, clientID?: number): Y.Doc {
  const doc = new Y.Doc()
  if (source !== null) Y.applyUpdate(doc, Y.encodeStateAsUpdate(source))
  if (clientID !== undefined) doc.clientID = clientID
  return doc
}

/** Runs raw Yjs operations on a replica of `current` and returns their update. */
export function forge(
  current: Y.Doc | null,
  fn: (doc: Y.Doc, records: Y.Map<unknown>) => void,
  clientID?: number,
): Uint8Array {
  const doc = replicaOf(current, clientID)
  return capture(doc, () => fn(doc, recordsOf(doc)))
}

/** A hand-encoded struct of a v1 update. */
export type RawStruct =
  | { kind: 'any'; key: string; values: unknown[]; parent?: string }
  | { kind: 'deleted'; key: string; len: number }
  | { kind: 'gc'; len: number }
  | { kind: 'skip'; len: number }

/** A hand-encoded client section. */
export interface RawSection {
  client: number
  clock: number
  structs: RawStruct[]
}

/**
 * Encodes a v1 update by hand: sections (the header count can be forced
 * with `sections`) and deletion ranges.
 */
export function encodeRaw(
  sectionList: RawSection[],
  deletes: Array<{ client: number; ranges: Array<[clock: number, len: number]> }> = [],
  sections = sectionList.length,
): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, sections)
  for (const section of sectionList) {
    encoding.writeVarUint(e, section.structs.length)
    encoding.writeVarUint(e, section.client)
    encoding.writeVarUint(e, section.clock)
    for (const struct of section.structs) {
      switch (struct.kind) {
        case 'gc':
          encoding.writeUint8(e, 0)
          encoding.writeVarUint(e, struct.len)
          break
        case 'skip':
          encoding.writeUint8(e, 10)
          encoding.writeVarUint(e, struct.len)
          break
        case 'deleted':
          encoding.writeUint8(e, 32 | 1)
          encoding.writeVarUint(e, 1)
          encoding.writeVarString(e, 'records')
          encoding.writeVarString(e, struct.key)
          encoding.writeVarUint(e, struct.len)
          break
        case 'any':
          encoding.writeUint8(e, 32 | 8)
          encoding.writeVarUint(e, 1)
          encoding.writeVarString(e, struct.parent ?? 'records')
          encoding.writeVarString(e, struct.key)
          encoding.writeVarUint(e, struct.values.length)
          for (const value of struct.values) encoding.writeAny(e, value as encoding.AnyEncodable)
          break
      }
    }
  }
  encoding.writeVarUint(e, deletes.length)
  for (const { client, ranges } of deletes) {
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, ranges.length)
    for (const [clock, len] of ranges) {
      encoding.writeVarUint(e, clock)
      encoding.writeVarUint(e, len)
    }
  }
  return encoding.toUint8Array(e)
}

/** True when an update leaves `doc`'s encoded state unchanged (used to prove purity). */
export function snapshotOf(doc: Y.Doc): string {
  return Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64')
}
