/**
 * Builds the entries of a `SYNCED` answer: for each asked document, what
 * the asker misses (the update from its state vector) and the relay's own
 * state vector. Shared by client sessions and peer links. The documents
 * are loaded (pinned while the answer is built), and the answer waits until
 * every write applied to them so far is durable: a relay never sends what
 * it could still lose.
 */
import type { DocId, SyncedEntry } from '@feedmesh/core'
import * as Y from 'yjs'
import type { DocRegistry } from './DocRegistry.js'
import type { LoadedDoc } from './LoadedDoc.js'
import { RelayErrorCodes } from './relayErrors.js'

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

/**
 * Answers `asked` (document → the asker's state vector; an empty vector
 * means "send everything") from `registry`, once durable.
 */
export async function syncEntries(
  registry: DocRegistry,
  asked: ReadonlyMap<DocId, Uint8Array>,
): Promise<SyncEntries> {
  const ids = [...asked.keys()]
  const loaded = await Promise.allSettled(ids.map((docId) => registry.acquire(docId)))
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
      const sv = asked.get(docId)!
      try {
        const update = Y.encodeStateAsUpdate(doc.doc, sv.length === 0 ? undefined : sv)
        entries.push({ docId, update, stateVector: Y.encodeStateVector(doc.doc) })
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
