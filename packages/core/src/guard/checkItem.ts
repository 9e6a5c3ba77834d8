/**
 * The checks of one new item of an update, on its own: an explicit entry of
 * the root map `records` holding one JSON record that parses, names this
 * document, matches its key and item id, and has an author allowed to write
 * it here; or a placeholder (an entry that arrives deleted) whose key names
 * the device that wrote it. What needs the whole update (taken keys,
 * supersession, signatures) is checked by `checkUpdate`.
 */
import * as Y from 'yjs'
import type { DocId, ParsedDocId } from '../docIds.js'
import { checkPermission } from '../permissions.js'
import { keyOfRecord, parseRecordKey, RECORDS, type RecordKey } from '../recordMap.js'
import { parseRecord, type SignedRecord } from '../records.js'
import { type GuardRefused, GuardRules, refuse } from './guardRules.js'

/** A new entry of the update: a record, or a placeholder (`record === null`). */
export interface NewEntry {
  item: Y.Item
  key: string
  parsed: RecordKey
  record: SignedRecord | null
}

/** How messages name an item. */
export const at = (id: Y.ID): string => `item ${id.client}:${id.clock}`

function contentName(content: Y.Item['content']): string {
  if (content instanceof Y.ContentType) return 'a nested type'
  if (content instanceof Y.ContentString) return 'text'
  if (content instanceof Y.ContentFormat) return 'formatting'
  if (content instanceof Y.ContentEmbed) return 'an embed'
  if (content instanceof Y.ContentBinary) return 'binary content'
  if (content instanceof Y.ContentDoc) return 'a subdocument'
  if (content instanceof Y.ContentJSON) return 'legacy JSON content'
  if (content instanceof Y.ContentAny) return `${content.arr.length} values`
  return 'unknown content'
}

/** Checks one new item on its own; returns its entry or a refusal. */
export function checkItem(
  item: Y.Item,
  docId: DocId,
  parsedDoc: ParsedDocId,
  blocked: ReadonlySet<string> | undefined,
): NewEntry | GuardRefused {
  const where = at(item.id)
  const parent: unknown = item.parent
  const key = item.parentSub
  if (parent !== RECORDS || typeof key !== 'string' || item.origin || item.rightOrigin) {
    const what =
      typeof parent === 'string'
        ? `root "${parent}"${typeof key === 'string' ? '' : ' without a key'}`
        : 'a nested type'
    const how = item.origin || item.rightOrigin ? ' (implicit position)' : ''
    return refuse(
      GuardRules.NotRecordEntry,
      `${where} is not an explicit entry of "${RECORDS}": it belongs to ${parent === null ? 'an implicit parent' : what}${how}`,
    )
  }
  const content = item.content
  if (content instanceof Y.ContentDeleted) {
    const parsed = parseRecordKey(key)
    if (content.len !== 1) {
      return refuse(GuardRules.BadPlaceholder, `${where}: a deleted range of ${content.len} items`)
    }
    if (parsed === null) return refuse(GuardRules.BadPlaceholder, `${where}: bad key "${key}"`)
    if (parsed.client !== item.id.client) {
      return refuse(
        GuardRules.BadPlaceholder,
        `${where}: key "${key}" names device ${parsed.client}, not ${item.id.client}`,
      )
    }
    return { item, key, parsed, record: null }
  }
  if (!(content instanceof Y.ContentAny) || content.arr.length !== 1) {
    return refuse(
      GuardRules.BadContent,
      `${where} ("${key}") holds ${contentName(content)}, not one JSON record`,
    )
  }
  const record = parseRecord(content.arr[0])
  if (record === null) return refuse(GuardRules.BadRecord, `${where} ("${key}") fails the schema`)
  if (record.doc !== docId) {
    return refuse(GuardRules.WrongDoc, `${where} ("${key}") names document "${record.doc}"`)
  }
  const expected = keyOfRecord(record)
  const parsed = parseRecordKey(key)
  if (key !== expected || parsed === null) {
    return refuse(GuardRules.KeyMismatch, `${where}: key "${key}", the record says "${expected}"`)
  }
  if (record.yid[0] !== item.id.client || record.yid[1] !== item.id.clock) {
    return refuse(
      GuardRules.YidMismatch,
      `${where} ("${key}") holds a record signed for item ${record.yid[0]}:${record.yid[1]}`,
    )
  }
  const denial = checkPermission(parsedDoc, record.author, record.type, record.id, blocked)
  if (denial !== null) {
    return refuse(
      GuardRules.NotAllowed,
      `${where} ("${key}"): ${denial}: ${record.author} may not write "${record.type}" record "${record.id}" here`,
    )
  }
  return { item, key, parsed, record }
}
