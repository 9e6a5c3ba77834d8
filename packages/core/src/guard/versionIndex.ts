/**
 * The highest version of each record (per author and id) a document holds,
 * live or deleted, so the guard can tell whether a version is superseded.
 *
 * Built from the keys of the root map's `_map` (every key ever set, deleted
 * or not). Yjs never removes keys from `_map` and a Map iterates in insertion
 * order, so the index is cached per map and extended with the new keys only.
 */
import type * as Y from 'yjs'
import { parseRecordKey, type RecordKey } from '../recordMap.js'

/** A root type of a document (the record map, when present). */
export type RootType = NonNullable<ReturnType<Y.Doc['share']['get']>>

/** Highest `rev` per `author/id`. */
export type TopRevisions = Map<string, number>

interface CachedIndex {
  seen: number
  top: TopRevisions
}

const cache = new WeakMap<object, CachedIndex>()

/** The slot of a record: `author/id`. */
export function slotOf(key: RecordKey): string {
  return `${key.author}/${key.id}`
}

/** Raises the highest revision of a key's slot. */
export function noteVersion(top: TopRevisions, key: RecordKey): void {
  const slot = slotOf(key)
  const known = top.get(slot)
  if (known === undefined || key.rev > known) top.set(slot, key.rev)
}

/** The highest revisions of every record a document's record map holds (do not mutate). */
export function topRevisionsOf(records: RootType | null): TopRevisions {
  if (records === null) return new Map()
  let entry = cache.get(records)
  if (entry === undefined) {
    entry = { seen: 0, top: new Map() }
    cache.set(records, entry)
  }
  const keys = records._map
  if (keys.size !== entry.seen) {
    let index = 0
    for (const key of keys.keys()) {
      if (index++ < entry.seen) continue
      const parsed = parseRecordKey(key)
      if (parsed !== null) noteVersion(entry.top, parsed)
    }
    entry.seen = keys.size
  }
  return entry.top
}

/** True when a higher revision of the same record exists in either index. */
export function isSuperseded(key: RecordKey, ...indexes: readonly TopRevisions[]): boolean {
  const slot = slotOf(key)
  return indexes.some((top) => (top.get(slot) ?? 0) > key.rev)
}
