/**
 * The write guard: decides whether an update from a client (or a peer
 * relay) may be applied to a document, without applying it.
 *
 * An update is accepted when
 * - every new item is an explicit entry of the root map `records` (root
 *   parent, key written, no origins) holding exactly one JSON record that
 *   parses, names this document, matches its key and item id, has an author
 *   allowed to write it here, and verifies;
 * - or the item arrives already deleted (a placeholder: an author uploading
 *   versions it superseded while offline), its key names the device that
 *   wrote it, that version is superseded, and the uploader is its author;
 * - every new deletion removes a record version superseded by a higher
 *   version present in the document or the update, authored by the uploader;
 * - nothing is garbage-collected, nested, textual, or built on unknown items.
 * Known content is ignored, so re-sending is always safe.
 */
import * as Y from 'yjs'
import { type DocId, type ParsedDocId, parseDocId } from '../docIds.js'
import { keyOfRecord, parseRecordKey, RECORDS, type RecordKey } from '../recordMap.js'
import { type SignedRecord, sharedVerifier } from '../records.js'
import { at, checkItem, type NewEntry } from './checkItem.js'
import { type DecodedStruct, type DecodedUpdate, decodeGuarded } from './decodeGuarded.js'
import {
  type GuardOptions,
  type GuardRefused,
  type GuardResult,
  GuardRules,
  refuse,
} from './guardRules.js'
import {
  isSuperseded,
  noteVersion,
  type RootType,
  type TopRevisions,
  topRevisionsOf,
} from './versionIndex.js'

/** An item deleted by the update that the document does not yet have deleted. */
interface DeleteTarget {
  at: string
  parsed: RecordKey
}

/** The author whose entries a client id (device) already holds in `current`, if any. */
function authorOfClient(current: Y.Doc | null, client: number): string | undefined {
  const structs = current?.store.clients.get(client)
  const last = structs?.[structs.length - 1]
  if (!(last instanceof Y.Item) || typeof last.parentSub !== 'string') return undefined
  return parseRecordKey(last.parentSub)?.author
}

/** Checks every new struct; fills `entries`; returns whether anything is new. */
function checkStructs(
  decoded: DecodedUpdate,
  current: Y.Doc | null,
  existing: ReadonlyMap<string, unknown> | undefined,
  docId: DocId,
  parsedDoc: ParsedDocId,
  options: GuardOptions,
  entries: Map<DecodedStruct, NewEntry>,
): boolean | GuardRefused {
  let changed = false
  const keys = new Set<string>()
  for (const [client, structs] of decoded.structs) {
    const known = current === null ? 0 : Y.getState(current.store, client)
    let expected = known
    let author = authorOfClient(current, client)
    for (const struct of structs) {
      const end = struct.id.clock + struct.length
      // Yjs integrates a struct when it starts at or after the known state, or
      // reaches past it (an empty struct at the state counts: it would be applied)
      if ((end <= known && struct.id.clock < known) || struct instanceof Y.Skip) continue
      if (struct.id.clock > expected) {
        return refuse(
          GuardRules.MissingDependency,
          `${at(struct.id)} follows a gap: the document has client ${client} up to clock ${expected}`,
        )
      }
      expected = end
      changed = true
      if (!(struct instanceof Y.Item)) {
        return refuse(
          GuardRules.GcRange,
          `${at(struct.id)}: a garbage-collected range of ${struct.length}`,
        )
      }
      const entry = checkItem(struct, docId, parsedDoc, options.blocked)
      if ('ok' in entry) return entry
      if (existing?.has(entry.key) || keys.has(entry.key)) {
        return refuse(
          GuardRules.KeyMismatch,
          `${at(struct.id)}: key "${entry.key}" is already taken by another item`,
        )
      }
      if (author !== undefined && entry.parsed.author !== author) {
        return refuse(
          GuardRules.ForeignClient,
          `${at(struct.id)} ("${entry.key}"): device ${client} already writes as ${author}`,
        )
      }
      author = entry.parsed.author
      keys.add(entry.key)
      entries.set(struct, entry)
    }
  }
  return changed
}

/** The items the update deletes that the document has not deleted yet. */
function collectDeletions(
  decoded: DecodedUpdate,
  current: Y.Doc | null,
  records: RootType | null,
  entries: ReadonlyMap<DecodedStruct, NewEntry>,
): DeleteTarget[] | GuardRefused {
  const targets: DeleteTarget[] = []
  for (const [client, ranges] of decoded.deletes) {
    const known = current === null ? 0 : Y.getState(current.store, client)
    const stored = current?.store.clients.get(client)
    const incoming = decoded.structs.get(client)
    for (const { clock, len } of ranges) {
      const end = clock + len
      if (clock < known && stored !== undefined) {
        const stop = Math.min(end, known)
        for (let i = Y.findIndexSS(stored, clock); i < stored.length; i++) {
          const struct = stored[i]!
          if (struct.id.clock >= stop) break
          if (struct.deleted) continue
          const key =
            struct instanceof Y.Item && records !== null && struct.parent === records
              ? struct.parentSub
              : null
          const parsed = key !== null && struct.length === 1 ? parseRecordKey(key) : null
          if (parsed === null) {
            return refuse(
              GuardRules.UnjustifiedDelete,
              `deletes ${at(struct.id)}, which is not a record entry`,
            )
          }
          targets.push({ at: `${at(struct.id)} ("${key}")`, parsed })
        }
      }
      let from = Math.max(clock, known)
      if (from >= end) continue
      let i = incoming === undefined ? -1 : indexOf(incoming, from)
      while (from < end) {
        const struct = i < 0 ? undefined : incoming?.[i++]
        const entry = struct === undefined ? undefined : entries.get(struct)
        if (struct === undefined || entry === undefined || struct.id.clock > from) {
          return refuse(
            GuardRules.MissingDependency,
            `deletes item ${client}:${from}, which neither the document nor the update holds`,
          )
        }
        targets.push({ at: `${at(struct.id)} ("${entry.key}")`, parsed: entry.parsed })
        from = struct.id.clock + struct.length
      }
    }
  }
  return targets
}

function indexOf(structs: DecodedStruct[], clock: number): number {
  const first = structs[0]
  const last = structs[structs.length - 1]
  if (first === undefined || last === undefined) return -1
  if (clock < first.id.clock || clock >= last.id.clock + last.length) return -1
  return Y.findIndexSS(structs as Array<Y.Item | Y.GC>, clock)
}

/** Placeholders and deletions: superseded versions of the uploader's own records. */
function checkSupersession(
  entries: Iterable<NewEntry>,
  targets: readonly DeleteTarget[],
  top: TopRevisions,
  incoming: TopRevisions,
  options: GuardOptions,
): GuardRefused | null {
  const trusted = options.trustedPeer === true
  for (const entry of entries) {
    if (entry.record !== null) continue
    const where = `${at(entry.item.id)} ("${entry.key}")`
    if (!isSuperseded(entry.parsed, top, incoming)) {
      return refuse(GuardRules.BadPlaceholder, `${where} arrives deleted but is not superseded`)
    }
    if (!trusted && entry.parsed.author !== options.uploader) {
      return refuse(
        GuardRules.BadPlaceholder,
        `${where} arrives deleted; only its author may upload it, the uploader is ${options.uploader ?? 'not authenticated'}`,
      )
    }
  }
  for (const target of targets) {
    if (!trusted && target.parsed.author !== options.uploader) {
      return refuse(
        GuardRules.ForeignDelete,
        `deletes ${target.at}; only its author may, the uploader is ${options.uploader ?? 'not authenticated'}`,
      )
    }
    if (!isSuperseded(target.parsed, top, incoming)) {
      return refuse(GuardRules.UnjustifiedDelete, `deletes ${target.at}, which is not superseded`)
    }
  }
  return null
}

async function verifies(options: GuardOptions, record: SignedRecord): Promise<boolean> {
  try {
    return await (options.verifier ?? sharedVerifier).verify(record)
  } catch {
    return false
  }
}

/**
 * Checks an update (Yjs v1) against the document it would be applied to.
 * Pure: `current` is never changed; apply the update only when `ok`.
 * `current` null means the document is empty or unknown. Never throws.
 */
export async function checkUpdate(
  docId: DocId,
  current: Y.Doc | null,
  update: Uint8Array,
  options: GuardOptions = {},
): Promise<GuardResult> {
  let parsedDoc: ParsedDocId
  try {
    parsedDoc = parseDocId(docId)
  } catch (error) {
    return refuse(GuardRules.BadDocId, error instanceof Error ? error.message : 'bad document id')
  }
  const decoded = decodeGuarded(update)
  if (typeof decoded === 'string') return refuse(GuardRules.Malformed, decoded)
  const records = current?.share.get(RECORDS) ?? null
  const entries = new Map<DecodedStruct, NewEntry>()
  const changed = checkStructs(decoded, current, records?._map, docId, parsedDoc, options, entries)
  if (typeof changed !== 'boolean') return changed
  const targets = collectDeletions(decoded, current, records, entries)
  if (!Array.isArray(targets)) return targets
  const placeholders = [...entries.values()].some((entry) => entry.record === null)
  if (targets.length > 0 || placeholders) {
    const incoming: TopRevisions = new Map()
    for (const entry of entries.values()) noteVersion(incoming, entry.parsed)
    const refused = checkSupersession(
      entries.values(),
      targets,
      topRevisionsOf(records),
      incoming,
      options,
    )
    if (refused !== null) return refused
  }
  const added: SignedRecord[] = []
  for (const entry of entries.values()) if (entry.record !== null) added.push(entry.record)
  const valid = await Promise.all(added.map((record) => verifies(options, record)))
  const bad = valid.indexOf(false)
  if (bad >= 0) {
    const record = added[bad]!
    return refuse(GuardRules.BadSignature, `record "${keyOfRecord(record)}": the signature fails`)
  }
  return { ok: true, changed: changed || targets.length > 0, records: added }
}
