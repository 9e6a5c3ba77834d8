/**
 * Signed comment records at benchmark speed: an author whose records are
 * signed with `node:crypto` (native Ed25519, about ten times faster than
 * core's portable signer) and who can also authenticate a connection as
 * the same key (a core `Identity` from the same seed). Each comment is
 * written into a fresh Y.Doc, so its update stands on its own: the relay
 * accepts it into any replica of the thread document, like a device that
 * comments without holding the thread.
 */
import crypto from 'node:crypto'
import {
  canonicalBytes,
  type DocId,
  Identity,
  keyOfRecord,
  recordsOf,
  type SignedRecord,
} from '@feedmesh/core'
import * as Y from 'yjs'

/** An author that signs comments natively (see the module comment). */
export class FastSigner {
  /** The same key as a core identity (to answer a relay's challenge). */
  readonly identity: Identity
  /** The author's user id. */
  readonly userId: string
  readonly #key: crypto.KeyObject

  /** A new random author. */
  constructor() {
    const seed = new Uint8Array(crypto.randomBytes(32))
    this.identity = Identity.fromSecretKey(seed)
    this.userId = this.identity.userId
    this.#key = crypto.createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: Buffer.from(seed).toString('base64url'),
        x: this.userId,
      },
      format: 'jwk',
    })
  }

  /** The update of one new comment `id` with `text` in the thread document `docId`. */
  comment(docId: DocId, id: string, text: string, at = Date.now()): Uint8Array {
    const doc = new Y.Doc()
    const unsigned = {
      doc: docId,
      author: this.userId,
      type: 'comment' as const,
      id,
      rev: 1,
      at,
      yid: [doc.clientID, 0] as [number, number],
      body: { text },
    }
    const sig = crypto.sign(null, canonicalBytes(unsigned), this.#key).toString('base64url')
    const record: SignedRecord = { ...unsigned, sig }
    let update: Uint8Array | undefined
    doc.on('update', (u: Uint8Array) => {
      update = u
    })
    recordsOf(doc).set(keyOfRecord(record), record)
    doc.destroy()
    if (update === undefined) throw new Error('writing the comment produced no update')
    return update
  }
}
