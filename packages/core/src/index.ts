/**
 * @feedmesh/core: identity, signed records, the document model, the write
 * guard and the local-first feed client.
 */
export { fromBase64url, toBase64url } from './base64url.js'
export {
  type DocId,
  type DocKind,
  DocKinds,
  followersDocId,
  isDocId,
  isMonth,
  isName,
  monthOf,
  type ParsedDocId,
  parseDocId,
  postsDocId,
  previousMonth,
  roomDocId,
  threadDocId,
  userDocId,
} from './docIds.js'
export {
  bestVerifier,
  loadVerifier,
  type VerifierBackend,
  VerifierBackends,
  type VerifyFn,
} from './ed25519.js'
export { type ErrorCode, ErrorCodes, FeedmeshError } from './errors.js'
export { Identity, isUserId, publicKeyFromUserId, type UserId } from './Identity.js'
export { checkPermission, type PermissionDenial, TypesByDocKind } from './permissions.js'
export {
  formatRecordKey,
  keyOfRecord,
  listEntries,
  parseRecordKey,
  RECORDS,
  type RecordEntry,
  type RecordKey,
  type RecordWrite,
  recordsOf,
  resolveVersions,
  writeRecords,
} from './recordMap.js'
export {
  canonicalBytes,
  isTombstone,
  parseRecord,
  RecordVerifier,
  type SignedRecord,
  sharedVerifier,
  signRecord,
  type UnsignedRecord,
  type YId,
} from './records.js'
export {
  type RecordBodies,
  RecordLimits,
  type RecordType,
  RecordTypes,
  type Tombstone,
} from './schemas.js'
export type { OutboxEntry, StorageAdapter, StoredDoc } from './storage/StorageAdapter.js'
export {
  type RelayError,
  type Subscription,
  type Transport,
  type TransportHandler,
  type TransportState,
  TransportStates,
} from './transport/Transport.js'
