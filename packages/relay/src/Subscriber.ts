/**
 * What the relay needs from a connection to push live changes to it: one
 * interface implemented by both endpoints (the feedmesh protocol session
 * and the y-websocket compatibility session).
 */
import type { DocId } from '@feedmesh/core'
import type { OutgoingUpdate } from './OutgoingUpdate.js'

/** A connection subscribed to documents. */
export interface Subscriber {
  /**
   * A change that someone else made to a document and that is now durably
   * stored; the same {@link OutgoingUpdate} goes to every subscriber, so
   * take its frame with `update.frame(encoder)` (encoded once for all).
   */
  deliverUpdate(update: OutgoingUpdate): void
  /** An awareness update (presence) of `docId` from someone else; never stored. */
  deliverAwareness(docId: DocId, payload: Uint8Array): void
}
