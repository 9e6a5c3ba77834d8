/**
 * The documents every server is loaded with: `count` posts documents
 * (`p/<uid>/<month>`), each holding a few signed posts written with core's
 * `writeRecords` by its own owner, about 1.9 KB of Yjs update each. The
 * same bytes go into every system (feedmesh's SQLite store, the
 * y-websocket server's memory, Hocuspocus's `onLoadDocument`), through a
 * seed file: a lib0-encoded list of `(docId, update)` pairs.
 *
 * Changes for the reconnect scenarios come from here too
 * ({@link makeChangeBatches}): the owner writes one short new post into a
 * slice of the documents, the same bytes for every system.
 */
import fs from 'node:fs'
import { Identity, postsDocId, writeRecords } from '@feedmesh/core'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/** One seeded document. */
export interface SeedDoc {
  /** Its document id. */
  docId: string
  /** Its whole state as one Yjs update (or, for a change, the change). */
  update: Uint8Array
  /** Its owner, who may write to it (absent when read from a seed file). */
  owner?: Identity
}

const month = '2025-01'
const at = Date.UTC(2025, 0, 15)
/** Posts per document and characters per post: about 1.9 KB of update per document. */
const postsPerDoc = 4
const postChars = 125

/** A deterministic filler text of `n` characters. */
function filler(seed: number, n: number): string {
  const words = ['local', 'first', 'relay', 'signed', 'record', 'yjs', 'offline', 'mesh', 'feed']
  let out = ''
  let i = seed
  while (out.length < n) {
    out += `${words[i % words.length]} `
    i = (i * 7 + 3) % 1009
  }
  return out.slice(0, n)
}

/** Generates `count` documents (see the module comment). */
export function makeSeedDocs(count: number): SeedDoc[] {
  const docs: SeedDoc[] = []
  for (let d = 0; d < count; d++) {
    const identity = Identity.generate()
    const docId = postsDocId(identity.userId, month)
    const doc = new Y.Doc()
    const writes = Array.from({ length: postsPerDoc }, (_, p) => ({
      type: 'post' as const,
      id: `post${p}`,
      body: { text: filler(d * postsPerDoc + p, postChars) },
    }))
    writeRecords(doc, docId, identity, writes, at)
    docs.push({ docId, update: Y.encodeStateAsUpdate(doc), owner: identity })
    doc.destroy()
  }
  return docs
}

/** Characters of the post a change adds. */
const changeChars = 40

/**
 * `count` batches of changes, batch `b` changing `fraction` of `docs` (a
 * different slice each time, wrapping around): its owner adds one post of
 * {@link changeChars} characters, written on top of the seeded state only,
 * so a batch applies whether or not earlier batches reached the server.
 */
export function makeChangeBatches(
  docs: readonly SeedDoc[],
  fraction: number,
  count: number,
): SeedDoc[][] {
  const perBatch = Math.max(1, Math.round(docs.length * fraction))
  return Array.from({ length: count }, (_, b) =>
    Array.from({ length: perBatch }, (_, i) => {
      const seed = docs[(b * perBatch + i) % docs.length]!
      if (seed.owner === undefined) throw new Error(`no owner for ${seed.docId}`)
      const doc = new Y.Doc()
      Y.applyUpdate(doc, seed.update)
      const before = Y.encodeStateVector(doc)
      const write = {
        type: 'post' as const,
        id: `change${b}`,
        body: { text: filler(b + i, changeChars) },
      }
      writeRecords(doc, seed.docId, seed.owner, [write], at + 60_000 * (b + 1))
      const update = Y.encodeStateAsUpdate(doc, before)
      doc.destroy()
      return { docId: seed.docId, update, owner: seed.owner }
    }),
  )
}

/** Writes `docs` to a seed file. */
export function writeSeedFile(file: string, docs: readonly SeedDoc[]): void {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, docs.length)
  for (const d of docs) {
    encoding.writeVarString(encoder, d.docId)
    encoding.writeVarUint8Array(encoder, d.update)
  }
  fs.writeFileSync(file, encoding.toUint8Array(encoder))
}

/** Reads a seed file written by {@link writeSeedFile}. */
export function readSeedFile(file: string): SeedDoc[] {
  const decoder = decoding.createDecoder(new Uint8Array(fs.readFileSync(file)))
  const count = decoding.readVarUint(decoder)
  const docs: SeedDoc[] = []
  for (let i = 0; i < count; i++) {
    const docId = decoding.readVarString(decoder)
    docs.push({ docId, update: decoding.readVarUint8Array(decoder) })
  }
  return docs
}
