/**
 * Comparing replicas across relays: read documents from a relay in one
 * SUBSCRIBE with empty state vectors (its full state), reduce each to a
 * canonical digest (snapshot: state vector and delete set; plus the live
 * record entries, sorted), and list the documents whose digests differ
 * between relays. Equal digests mean the relays hold the same state.
 */
import { type DocId, listEntries } from '@feedmesh/core'
import * as Y from 'yjs'
import { WireClient } from './WireClient.js'

/** The canonical digest of a document (see the module comment). */
export function docDigest(doc: Y.Doc): string {
  const snapshot = Buffer.from(Y.encodeSnapshot(Y.snapshot(doc))).toString('base64')
  const entries = listEntries(doc)
    .map((entry) => `${entry.key}=${JSON.stringify(entry.value)}`)
    .sort()
  return `${snapshot}|${entries.join('\n')}`
}

/** The digests of `docIds` at the relay at `url`. */
export async function digestsAt(
  url: string,
  docIds: readonly DocId[],
): Promise<Map<DocId, string>> {
  const client = await WireClient.open(url)
  try {
    const empty = Y.encodeStateVector(new Y.Doc())
    const frames = await client.subscribe(docIds.map((docId) => ({ docId, stateVector: empty })))
    const docs = new Map<DocId, Y.Doc>(docIds.map((docId) => [docId, new Y.Doc({ gc: false })]))
    for (const frame of frames) {
      for (const entry of frame.docs) {
        const doc = docs.get(entry.docId as DocId)
        if (doc !== undefined) Y.applyUpdate(doc, entry.update)
      }
    }
    return new Map([...docs].map(([docId, doc]) => [docId, docDigest(doc)]))
  } finally {
    await client.close()
  }
}

/** The documents of `docIds` whose state differs between the relays at `urls` (empty when they agree). */
export async function differingDocs(
  urls: readonly string[],
  docIds: readonly DocId[],
): Promise<DocId[]> {
  const all = await Promise.all(urls.map((url) => digestsAt(url, docIds)))
  const first = all[0]
  if (first === undefined) return []
  return docIds.filter((docId) => all.some((d) => d.get(docId) !== first.get(docId)))
}
