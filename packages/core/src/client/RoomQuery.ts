/** A chat room's visible messages, from `r/<owner>/<room>` (mods and blocks from `u/<owner>`). */
import { roomDocId } from '../docIds.js'
import type { SignedRecord } from '../records.js'
import type { DocStore } from './DocStore.js'
import { byTimeAuthorId, messageView, visibleRecords } from './readers.js'
import type { RoomRef } from './refs.js'
import { type DocReads, TrackedQuery } from './TrackedQuery.js'
import type { RoomView } from './views.js'

/** A live chat room. */
export class RoomQuery extends TrackedQuery<RoomView> {
  readonly #room: RoomRef

  /**
   * @param store the client's documents
   * @param room the room
   */
  constructor(store: DocStore, room: RoomRef) {
    super(store, { messages: [] })
    this.#room = room
    this.start()
  }

  protected compute(reads: DocReads): RoomView {
    const records = visibleRecords(reads, roomDocId(this.#room.owner, this.#room.room)) ?? []
    const messages = records
      .filter((r): r is SignedRecord<'message'> => r.type === 'message')
      .map(messageView)
      .sort(byTimeAuthorId)
    return { messages }
  }
}
