/**
 * Seeding relays of a mesh straight into their SQLite stores, before they
 * start: `count` thread documents of one signed comment each (the updates
 * Yjs produces, signed natively), the same bytes in every store, and each
 * relay's cursor on every other set to that relay's head, as after a long
 * time in sync. Writing 10,000 documents this way takes seconds; sending
 * them through a relay would take minutes.
 */
import { type DocId, threadDocId } from '@feedmesh/core'
import { SqliteStore } from '@feedmesh/relay'
import { FastSigner } from './FastSigner.js'
import { relayKeyOf } from './relayProcess.js'

/** `count` thread documents of one comment each, as `[docId, update]`. */
export function threadDocuments(count: number): [DocId, Uint8Array][] {
  const author = new FastSigner()
  const at = Date.UTC(2026, 0, 1)
  const out: [DocId, Uint8Array][] = []
  for (let i = 0; i < count; i++) {
    const docId = threadDocId(author.userId, `n${i}`)
    out.push([docId, author.comment(docId, 'c', `stored ${i}`, at)])
  }
  return out
}

/** Writes `docs` into a fresh store under each of `dirs` and points every cursor at the other's head. */
export async function seedInSync(
  dirs: readonly string[],
  docs: readonly [DocId, Uint8Array][],
): Promise<void> {
  const heads: { epoch: string; seq: number }[] = []
  for (const dir of dirs) {
    const store = await SqliteStore.open(dir, { synchronous: 'NORMAL', autoCompact: false })
    await Promise.all(docs.map(([docId, update]) => store.append(docId, update)))
    heads.push({ epoch: store.epoch, seq: await store.head() })
    await store.close()
  }
  const keys = dirs.map(relayKeyOf)
  for (const [i, dir] of dirs.entries()) {
    const store = await SqliteStore.open(dir)
    for (const [j, head] of heads.entries()) {
      if (j !== i) await store.setPeerCursor(keys[j]!, head)
    }
    await store.close()
  }
}

/** Resets every peer cursor of the store under `dir` to an unknown epoch: its next round with each peer is a full reconciliation. */
export async function forgetPeers(dir: string, peerKeys: readonly string[]): Promise<void> {
  const store = await SqliteStore.open(dir)
  for (const key of peerKeys) await store.setPeerCursor(key, { epoch: 'forgotten', seq: 0 })
  await store.close()
}
