/**
 * Builds the entries of a `SYNCED` answer: for each asked document, what
 * the asker misses (the update from its state vector) and the relay's own
 * state vector. Shared by client sessions and peer links. The documents
 * are loaded (pinned while the answer is built), and the answer waits until
 * every write applied to them so far is durable: a relay never sends what
 * it could still lose.
 *
 * With `since` (a resumed subscription set), a document asked without a
 * state vector is answered with what changed after `since.seq`: the
 * relay's state from the oldest clock, per Yjs client, of the updates
 * stored after that sequence (plus, as always, the whole delete set), so
 * the answer is about the size of the change, not of the document.
 *
 * Answers are computed from the documents' encoded state when they are
 * cold (`LoadedDoc.diff`), so answering never builds a Y.Doc.
 */
import type { DocId, SyncedEntry } from '@feedmesh/core'
import * as Y from 'yjs'
import type { DocRegistry } from './DocRegistry.js'
import type { LoadedDoc } from './LoadedDoc.js'
import { RelayErrorCodes } from './relayErrors.js'
import type { RelayStore } from './store/RelayStore.js'

/** A document that could not be answered. */
export interface EntryFailure {
  /** The document. */
  docId: DocId
  /** `storage-failed` (it did not load) or `bad-state-vector`. */
  code: string
  /** What went wrong. */
  message: string
  /** The underlying error, for logs. */
  cause?: unknown
}

/** The entries of an answer and the documents that failed. */
export interface SyncEntries {
  /** One entry per answered document, in the order asked. */
  entries: SyncedEntry[]
  /** Documents that could not be answered. */
  failures: EntryFailure[]
}

/** The point a resumed subscriber holds every document up to. */
export interface SyncSince {
  /** The store the changes are read from. */
  store: RelayStore
  /** The sequence the subscriber holds every change up to. */
  seq: number
}

/**
 * The state vector a subscriber holding `doc` up to the updates before
 * `updates` has: the relay's own, lowered per Yjs client to the first
 * clock that `updates` (stored after the subscriber's point) carry.
 */
function heldBefore(doc: LoadedDoc, updates: readonly Uint8Array[]): Uint8Array {
  const sv = Y.decodeStateVector(doc.stateVector())
  for (const update of updates) {
    for (const [client, from] of Y.parseUpdateMeta(update).from) {
      if (from < (sv.get(client) ?? Number.POSITIVE_INFINITY)) sv.set(client, from)
    }
  }
  return Y.encodeStateVector(sv)
}

/**
 * Answers `asked` (document → the asker's state vector; an empty vector
 * means "send everything", or with `since` "send what changed after it")
 * from `registry`, once durable.
 */
export async function syncEntries(
  registry: DocRegistry,
  asked: ReadonlyMap<DocId, Uint8Array>,
  since?: SyncSince,
): Promise<SyncEntries> {
  const ids = [...asked.keys()]
  const loaded = await Promise.allSettled(ids.map((docId) => registry.acquire(docId)))
  const logs = new Map<DocId, Uint8Array[]>()
  if (since !== undefined) {
    await Promise.all(
      ids.map(async (docId, i) => {
        if (asked.get(docId)?.length !== 0 || loaded[i]?.status !== 'fulfilled') return
        const updates = await since.store.updatesSince(docId, since.seq).catch(() => undefined)
        if (updates !== undefined) logs.set(docId, updates)
      }),
    )
  }
  const docs: LoadedDoc[] = []
  const entries: SyncedEntry[] = []
  const failures: EntryFailure[] = []
  try {
    loaded.forEach((result, i) => {
      const docId = ids[i]!
      if (result.status === 'rejected') {
        failures.push({
          docId,
          code: RelayErrorCodes.StorageFailed,
          message: 'the document cannot be loaded',
          cause: result.reason,
        })
        return
      }
      const doc = result.value
      docs.push(doc)
      const asker = asked.get(docId)!
      try {
        const log = logs.get(docId)
        const sv = log === undefined ? asker : heldBefore(doc, log)
        entries.push({ docId, update: doc.diff(sv), stateVector: doc.stateVector() })
      } catch {
        failures.push({
          docId,
          code: RelayErrorCodes.BadStateVector,
          message: 'the state vector does not decode',
        })
      }
    })
    // what the answer holds is sent only once it is durable
    await Promise.all(docs.map((doc) => doc.committed()))
    return { entries, failures }
  } finally {
    for (const doc of docs) registry.release(doc)
  }
}
