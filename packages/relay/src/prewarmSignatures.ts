/**
 * Verifies the signatures of the records an update carries, in parallel
 * and before the update's turn in its document's queue, so that the guard
 * later finds them in the verifier's cache and runs without waiting for
 * the crypto thread pool. Writes of one document then pass the guard
 * several per event-loop turn and share one group commit, instead of one
 * commit each.
 *
 * This only warms the cache: it decides nothing. Bytes that do not decode
 * or entries that are not records are skipped (the guard refuses them
 * with a rule); it never throws.
 */
import { parseRecord, type RecordVerifier } from '@feedmesh/core'
import * as Y from 'yjs'

/** Most records verified ahead for one update (a huge update is left to the guard). */
const MAX_AHEAD = 1000

/** Verifies, ahead of the guard, the signatures of the records in `update` (see the module comment). */
export async function prewarmSignatures(
  update: Uint8Array,
  verifier: RecordVerifier,
): Promise<void> {
  let structs: ReturnType<typeof Y.decodeUpdate>['structs']
  try {
    structs = Y.decodeUpdate(update).structs
  } catch {
    return
  }
  const checks: Promise<boolean>[] = []
  for (const struct of structs) {
    if (checks.length >= MAX_AHEAD) break
    if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentAny)) continue
    for (const value of struct.content.getContent()) {
      const record = parseRecord(value)
      if (record !== null && verifier.known(record) === undefined)
        checks.push(verifier.verify(record))
    }
  }
  await Promise.allSettled(checks)
}
