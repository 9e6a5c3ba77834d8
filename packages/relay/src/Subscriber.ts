/**
 * What the relay needs from a connection to push live changes to it: one
 * interface implemented by both endpoints (the feedmesh protocol session
 * and the y-websocket compatibility session).
 */
import type { DocId } from '@feedmesh/core'

/** A connection subscribed to documents. */
export interface Subscriber {
  /** A change that someone else made to `docId` and that is now durably stored. */
  deliverUpdate(docId: DocId, update: Uint8Array): void
  /** An awareness update (presence) of `docId` from someone else; never stored. */
  deliverAwareness(docId: DocId, payload: Uint8Array): void
}
