/**
 * One stored change on its way to the subscribers of its document. Each
 * endpoint's frame of it (the feedmesh `UPDATE`, the y-websocket sync
 * update) is encoded once, on first use, and the same bytes go to every
 * subscriber of that endpoint: a fan-out to a thousand subscribers encodes
 * once, not a thousand times.
 */
import type { DocId } from '@feedmesh/core'

/**
 * Encodes the frame of one endpoint for an update. Compared by identity:
 * keep one function per endpoint at module level.
 */
export type UpdateFrameEncoder = (docId: DocId, update: Uint8Array) => Uint8Array

/** An update with its frames, encoded at most once per encoder (see the module comment). */
export class OutgoingUpdate {
  /** The document. */
  readonly docId: DocId
  /** The Yjs update (what the change did to the replica). */
  readonly update: Uint8Array
  /** Most updates go out through one or two endpoints: a short list beats a Map. */
  readonly #encoders: UpdateFrameEncoder[] = []
  readonly #frames: Buffer[] = []

  /**
   * @param docId the document
   * @param update the Yjs update
   */
  constructor(docId: DocId, update: Uint8Array) {
    this.docId = docId
    this.update = update
  }

  /**
   * The frame `encode` makes of this update, as a Buffer (which `ws`
   * sends as it is), encoded on the first call and shared afterwards.
   * Receivers must not modify it.
   */
  frame(encode: UpdateFrameEncoder): Buffer {
    const at = this.#encoders.indexOf(encode)
    if (at >= 0) return this.#frames[at]!
    const bytes = encode(this.docId, this.update)
    const frame = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#encoders.push(encode)
    this.#frames.push(frame)
    return frame
  }
}
