/**
 * Who may author which record in which document. The guard enforces these
 * rules on every update a relay accepts; readers apply them again, so a
 * record that slipped past a relay is still never shown.
 */
import type { ParsedDocId } from './docIds.js'
import type { UserId } from './Identity.js'
import type { RecordType } from './schemas.js'

/** Why an author may not write a record, or `null` when it may. */
export type PermissionDenial = 'type-not-allowed' | 'not-owner' | 'blocked' | 'bad-record-id'

/** The record types each document kind holds. */
export const TypesByDocKind: Readonly<Record<ParsedDocId['kind'], readonly RecordType[]>> = {
  u: ['profile', 'bucket', 'follow', 'block'],
  p: ['post'],
  t: ['comment', 'reaction', 'mod'],
  f: ['follower', 'mod'],
  r: ['message', 'mod'],
}

/** Fixed record ids: a profile is `profile`, a follower edge is `edge`. */
export const FixedRecordIds: Partial<Record<RecordType, string>> = {
  profile: 'profile',
  follower: 'edge',
}

/**
 * Decides whether `author` may write a record of `type` with id `id` into
 * the document `doc`. `blocked` is the owner's block list, when known.
 */
export function checkPermission(
  doc: ParsedDocId,
  author: UserId,
  type: RecordType,
  id: string,
  blocked?: ReadonlySet<UserId>,
): PermissionDenial | null {
  if (!TypesByDocKind[doc.kind].includes(type)) return 'type-not-allowed'
  const fixed = FixedRecordIds[type]
  if (fixed !== undefined && id !== fixed) return 'bad-record-id'
  const ownerOnly = doc.kind === 'u' || doc.kind === 'p' || type === 'mod'
  if (ownerOnly) return author === doc.owner ? null : 'not-owner'
  if (author !== doc.owner && blocked?.has(author)) return 'blocked'
  return null
}
