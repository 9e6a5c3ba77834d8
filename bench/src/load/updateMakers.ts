/**
 * The updates writers send, each carrying a marker (`marker.ts`):
 * feedmesh writes a signed chat message record into a room document with
 * core's `writeRecords` (what a FeedClient sends); the peers get a plain
 * Yjs map entry whose text is padded so the update has about the same size
 * as feedmesh's.
 */
import { type DocId, Identity, roomDocId, writeRecords } from '@feedmesh/core'
import * as Y from 'yjs'
import { markerText, padding } from './marker.js'

/** Characters of message text after the marker. */
const TEXT_CHARS = 80

/** Makes the updates of one writer. */
export interface UpdateMaker {
  /** The document written. */
  readonly docId: string
  /** Update `seq` of `run`, stamped now; `key` is its marker text. */
  next(run: number, seq: number): { update: Uint8Array; key: string }
}

/** Captures the update one change of `doc` produces. */
function capture(doc: Y.Doc, change: () => void): Uint8Array {
  let captured: Uint8Array | undefined
  const listener = (update: Uint8Array) => {
    captured = update
  }
  doc.on('update', listener)
  change()
  doc.off('update', listener)
  if (captured === undefined) throw new Error('the change produced no update')
  return captured
}

/** Signed `message` records into the room `room` of `owner`, written by `owner`. */
export function feedmeshUpdates(owner: Identity, room: string): UpdateMaker {
  const docId: DocId = roomDocId(owner.userId, room)
  const doc = new Y.Doc()
  return {
    docId,
    next(run, seq) {
      const key = markerText(run, seq)
      const update = capture(doc, () =>
        writeRecords(
          doc,
          docId,
          owner,
          [{ type: 'message', id: `m${run}-${seq}`, body: { text: key + padding(TEXT_CHARS) } }],
          Date.now(),
        ),
      )
      return { update, key }
    },
  }
}

/** Plain Yjs map entries into `docId`, their text padded by `pad` characters. */
export function plainUpdates(docId: string, pad: number): UpdateMaker {
  const doc = new Y.Doc()
  const map = doc.getMap<string>('messages')
  return {
    docId,
    next(run, seq) {
      const key = markerText(run, seq)
      const update = capture(doc, () => map.set(`m${run}-${seq}`, key + padding(pad)))
      return { update, key }
    },
  }
}

/** Bytes of a typical feedmesh update, and the padding that gives plain updates the same size. */
export function matchedSizes(): { feedmeshBytes: number; pad: number } {
  const sample = feedmeshUpdates(Identity.generate(), 'size').next(1, 1).update.length
  const bare = plainUpdates('size', 0).next(1, 1).update.length
  return { feedmeshBytes: sample, pad: Math.max(0, sample - bare) }
}
