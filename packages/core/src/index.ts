/**
 * @feedmesh/core: identity, signed records, the document model, the write
 * guard and the local-first feed client.
 */
export { fromBase64url, toBase64url } from './base64url.js'
export { type DropReason, DropReasons } from './client/DropStats.js'
export { type ClientStats, FeedClient, type FeedClientOptions } from './client/FeedClient.js'
export type { LiveQuery, PagedLiveQuery } from './client/LiveQuery.js'
export { type OutboxAction, OutboxActions, outboxActionFor } from './client/outboxPolicy.js'
export {
  Presence,
  type PresenceOptions,
  type PresencePeer,
  type PresenceState,
  type PresenceView,
} from './client/Presence.js'
export { type CommentRef, formatRef, type PostRef, parseRef, type RoomRef } from './client/refs.js'
export type { BackoffOptions, Timers } from './client/SyncEngine.js'
export type {
  CommentView,
  MessageView,
  PostsView,
  PostView,
  ProfileView,
  RoomView,
  SyncStatus,
  ThreadView,
} from './client/views.js'
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
export {
  checkUpdate,
  type GuardAccepted,
  type GuardOptions,
  type GuardRefused,
  type GuardResult,
  type GuardRule,
  GuardRules,
} from './guard.js'
export { Identity, isUserId, publicKeyFromUserId, type UserId } from './Identity.js'
export { checkPermission, type PermissionDenial, TypesByDocKind } from './permissions.js'
export {
  AUTH_DOMAIN,
  answerChallenge,
  authPayload,
  type ChallengeSigner,
} from './protocol/authPayload.js'
export { type CloseCode, CloseCodes, closeCodeFor, shouldReconnect } from './protocol/closeCodes.js'
export { decodeMessage } from './protocol/decodeMessage.js'
export { encodeMessage } from './protocol/encodeMessage.js'
export { type DecodeLimits, DefaultLimits } from './protocol/limits.js'
export {
  type AckMessage,
  type AuthMessage,
  type AwarenessMessage,
  type ChallengeMessage,
  type ChangesMessage,
  type ChangesSinceMessage,
  type ClientHello,
  type ConnectionLimits,
  type ErrorMessage,
  type HelloMessage,
  KEY_BYTES,
  type Message,
  type MessageOf,
  type MessageType,
  MessageTypes,
  MIN_PROTOCOL_VERSION,
  messageTypeName,
  NONCE_BYTES,
  type PingMessage,
  type PongMessage,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  type RelayHello,
  type ResumePoint,
  type Role,
  Roles,
  SIGNATURE_BYTES,
  type SubscribeMessage,
  type SubscribeSetMessage,
  type SyncedEntry,
  type SyncedMessage,
  type UnsubscribeMessage,
  type UpdateMessage,
  type WelcomeMessage,
} from './protocol/messages.js'
export {
  ProtocolError,
  type ProtocolErrorCode,
  ProtocolErrorCodes,
} from './protocol/ProtocolError.js'
export {
  SET_ID_BYTES,
  type SubscriptionSetErrorCode,
  SubscriptionSetErrorCodes,
  setIdKey,
  sortedSet,
  subscriptionSetId,
} from './protocol/subscriptionSets.js'
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
export { IndexedDbStorage, type IndexedDbStorageOptions } from './storage/IndexedDbStorage.js'
export { MemoryStorage } from './storage/MemoryStorage.js'
export type { OutboxEntry, StorageAdapter, StoredDoc } from './storage/StorageAdapter.js'
export {
  type RelayError,
  type Subscription,
  type Transport,
  type TransportCloseInfo,
  type TransportHandler,
  type TransportState,
  TransportStates,
} from './transport/Transport.js'
export {
  type WebSocketClose,
  WebSocketTransport,
  type WebSocketTransportOptions,
} from './transport/WebSocketTransport.js'
export { type WebSocketErrorCode, WebSocketErrorCodes } from './transport/websocketErrors.js'
export type { WebSocketConstructor, WebSocketLike } from './transport/websocketLike.js'
