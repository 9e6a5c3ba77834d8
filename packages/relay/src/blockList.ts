/**
 * The block list of a document owner as the relay knows it: the resolved,
 * live `block` records the owner wrote in its `u/<owner>` document (a block
 * record's id is the blocked user id). The guard refuses new records from
 * these users in the owner's threads and rooms.
 */

import { isTombstone, listEntries, parseRecord, resolveVersions, type UserId } from '@feedmesh/core'
import type * as Y from 'yjs'

/** The users `owner` blocked, read from `userDoc` (the replica of `u/<owner>`). */
export function blockListOf(userDoc: Y.Doc, owner: UserId): Set<UserId> {
  const blocked = new Set<UserId>()
  for (const entry of resolveVersions(listEntries(userDoc))) {
    if (entry.parsed.author !== owner) continue
    const record = parseRecord(entry.value)
    if (record !== null && record.type === 'block' && !isTombstone(record)) blocked.add(record.id)
  }
  return blocked
}
