/**
 * Record fixtures for relay tests, built with core's public API: honest
 * writes captured as the updates Yjs really produces, replicas, and a
 * hand encoder for v1 updates the Yjs API cannot express.
 */
import {
  type Identity,
  listEntries,
  type RecordWrite,
  recordsOf,
  resolveVersions,
  type SignedRecord,
  writeRecords,
} from '@feedmesh/core'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

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

/** Writes records honestly into `doc` and returns the update and the signed records. */
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

/** A new document holding `updates`. */
export function docWith(...updates: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc()
  for (const update of updates) Y.applyUpdate(doc, update)
  return doc
}

/** A replica of `source` (optionally with a given client id). */
export function replicaOf(source: Y.Doc | null, clientID?: number): Y.Doc {
  const doc = new Y.Doc()
  if (source !== null) Y.applyUpdate(doc, Y.encodeStateAsUpdate(source))
  if (clientID !== undefined) doc.clientID = clientID
  return doc
}

/** Runs raw Yjs operations on a replica of `current` (optionally as device `clientID`) and returns their update. */
export function forge(
  current: Y.Doc | null,
  fn: (doc: Y.Doc, records: Y.Map<unknown>) => void,
  clientID?: number,
): Uint8Array {
  const doc = replicaOf(current, clientID)
  return capture(doc, () => fn(doc, recordsOf(doc)))
}

/** The live record ids by author of a document: `author/id` of every resolved, live version. */
export function liveIds(doc: Y.Doc): Set<string> {
  const ids = new Set<string>()
  for (const entry of resolveVersions(listEntries(doc))) {
    ids.add(`${entry.parsed.author}/${entry.parsed.id}`)
  }
  return ids
}

/** A hand-encoded struct of a v1 update. */
export type RawStruct =
  | { kind: 'any'; key: string; values: unknown[]; parent?: string }
  | { kind: 'deleted'; key: string; len: number }
  | { kind: 'gc'; len: number }

/** Encodes a v1 update by hand: one section per entry, plus deletion ranges. */
export function encodeRaw(
  sections: { client: number; clock: number; structs: RawStruct[] }[],
  deletes: { client: number; ranges: [clock: number, len: number][] }[] = [],
): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, sections.length)
  for (const section of sections) {
    encoding.writeVarUint(e, section.structs.length)
    encoding.writeVarUint(e, section.client)
    encoding.writeVarUint(e, section.clock)
    for (const struct of section.structs) {
      if (struct.kind === 'gc') {
        encoding.writeUint8(e, 0)
        encoding.writeVarUint(e, struct.len)
        continue
      }
      encoding.writeUint8(e, struct.kind === 'deleted' ? 32 | 1 : 32 | 8)
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, struct.kind === 'any' ? (struct.parent ?? 'records') : 'records')
      encoding.writeVarString(e, struct.key)
      if (struct.kind === 'deleted') {
        encoding.writeVarUint(e, struct.len)
      } else {
        encoding.writeVarUint(e, struct.values.length)
        for (const value of struct.values) encoding.writeAny(e, value as encoding.AnyEncodable)
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

/** Subscribes `docId` with an empty state vector over `subscribe` and builds the relay's replica. */
export function replicaFromSynced(update: Uint8Array | undefined): Y.Doc {
  const doc = new Y.Doc()
  if (update !== undefined) Y.applyUpdate(doc, update)
  return doc
}
