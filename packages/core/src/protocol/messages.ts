/**
 * The messages of the feedmesh wire protocol, as TypeScript types. One
 * WebSocket per client per relay (and per pair of peered relays) carries any
 * number of documents in binary frames; each frame is one {@link Message}:
 * a varUint {@link MessageTypes} value, then the fields listed below.
 * `encodeMessage` and `decodeMessage` turn messages into frames and back;
 * payloads (Yjs updates, state vectors, y-protocols awareness updates) are
 * opaque bytes here.
 *
 * Exchange on a client connection (C = client, R = relay):
 *
 * 1. C → R `HELLO` (role `client`); R → C `HELLO` (role `relay`: the
 *    relay's id, instance epoch and current change sequence) and
 *    `CHALLENGE` (a fresh 32-byte nonce and the relay's id).
 * 2. C → R `AUTH`: the client's public key and its Ed25519 signature over
 *    `authPayload(nonce, relayId, 'client')`. R → C `WELCOME` (who the relay
 *    thinks the client is, and the limits it enforces), or a close with
 *    `CloseCodes.AuthFailed`. `AUTH` is optional: after the `CHALLENGE` a
 *    client that does not answer it may still `SUBSCRIBE`, `UNSUBSCRIBE`,
 *    send `AWARENESS` and `PING` (read-only; its `UPDATE`s get `ERROR`
 *    `unauthenticated`). A first message other than `HELLO` is a
 *    protocol error (`ERROR`, then a close); a second `AUTH` gets an
 *    `ERROR` and the connection stays usable.
 * 3. C → R `SUBSCRIBE`: many documents in one frame, each with the client's
 *    state vector. R → C `SYNCED`: for each document, the update the client
 *    misses and the relay's state vector, plus the relay's `{ epoch, seq }`.
 *    The client then sends what the relay misses as `UPDATE`s. Catching up
 *    on N documents costs one round trip. A large answer may be split over
 *    several `SYNCED` frames: all but the last have `more: true`, and the
 *    resume point is valid once the last one arrived.
 * 4. Resumable catch-up: the client remembers, per relay, the `{ epoch,
 *    seq }` of its last complete `SYNCED` and sends it as `resume`. When the
 *    epoch matches, the relay answers only for documents whose change
 *    sequence is above `seq` (often: an empty `SYNCED`); when it does not
 *    (a relay restored from a backup, another data directory), it answers
 *    every document. With `resume`, a subscription's state vector may be
 *    empty (zero bytes, "not sent"); the relay then answers that document,
 *    if it answers it at all, with its full state.
 *    `SUBSCRIBE_SET` does the same for a content-addressed set of
 *    documents (`subscriptionSets.ts`): the client names the set by its
 *    16-byte id, either in full (`add`: every document, no `base`) or as a
 *    change to a set the relay already knows (`base`, plus `add`, minus
 *    `remove`; an unchanged set is `base` = `setId` and nothing else). The
 *    relay checks that the resulting documents hash to `setId`, remembers
 *    the set, subscribes every document of it and answers with `SYNCED`
 *    exactly as for `SUBSCRIBE`. A document without a state vector (every
 *    document of `base`, and `add` entries with an empty one) is answered,
 *    when `resume` holds, with what changed on the relay after `seq`,
 *    computed by the relay; otherwise with its full state. So a client that
 *    reconnects to a relay that remembers its set resumes N documents with
 *    one frame of about 70 bytes. Instead of `SYNCED`, the relay may answer
 *    with one `ERROR` (empty docId, ref 0) that ends the frame's answer and
 *    subscribes nothing: `unknown-set` when it does not know `base` (the
 *    client sends the full list), `bad-set` when the documents do not hash
 *    to `setId` or one is not a document id.
 * 5. `UPDATE` both ways. C → R with a client-chosen `ref` (non-zero, unique
 *    per connection); R → C `ACK` with the ref once the update is durably
 *    stored, or `ERROR` (code `refused` and the guard's `rule`, the docId,
 *    the ref). R → C updates of subscribed documents carry ref 0 and are
 *    not acknowledged. `ACK` may carry many refs of one document.
 * 6. `UNSUBSCRIBE` stops live updates; `AWARENESS` (presence, typing) is
 *    relayed to the other subscribers of a document and never stored;
 *    `PING` is answered by `PONG` with the same nonce, either way.
 *
 * Peer links between relays use the same messages. The dialing relay sends
 * `HELLO` (role `relay`); both sides send `CHALLENGE` and answer the other's
 * with `AUTH` (signed with role `relay`), so each side proves its key to the
 * other; each side checks the key against its configured trusted peers and
 * closes with `CloseCodes.UntrustedPeer` otherwise. Once both `WELCOME`s are
 * through, each side pulls what changed on the other: `CHANGES_SINCE`
 * `{ epoch, seq }` (the last sequence it received from that peer) is
 * answered by `CHANGES`: a batch of document ids changed after `seq`, the
 * sequence to ask from next, and whether more follow (then the asker asks
 * again from the new `seq` once it has synced this batch, which keeps the
 * exchange flow-controlled). A changed epoch means the peer was restored or
 * replaced: the answer then starts from sequence 0 and carries the peer's
 * current epoch, which is a full reconciliation. The asker syncs the named
 * documents with `SUBSCRIBE`/`SYNCED`/`UPDATE` like a client. Healing costs
 * what changed, not what is stored. Live changes are then pushed as
 * `UPDATE`s.
 *
 * Wire layout (all integers are lib0 varUints in their shortest form, at
 * most 2^53 - 1; strings are a varUint byte length then strict UTF-8; bytes
 * are a varUint length then the bytes; keys are 32 raw bytes, nonces 32,
 * signatures 64 and set ids 16; booleans one byte 0 or 1; lists a varUint count then the
 * items):
 *
 * | type | message        | fields                                                        |
 * | ---- | -------------- | ------------------------------------------------------------- |
 * | 1    | HELLO          | string magic `feedmesh`, version, then (version 1) role (0 client, 1 relay), string name; a relay adds key relayId, string epoch, seq |
 * | 2    | CHALLENGE      | nonce, key relayId                                            |
 * | 3    | AUTH           | key publicKey, signature                                      |
 * | 4    | WELCOME        | key userId, role, maxFrameBytes, maxDocs, maxBatch            |
 * | 5    | SUBSCRIBE      | list of (string docId, bytes stateVector), bool hasResume, [string epoch, seq] |
 * | 6    | SYNCED         | list of (string docId, bytes update, bytes stateVector), string epoch, seq, bool more |
 * | 7    | UPDATE         | string docId, bytes update, ref                               |
 * | 8    | ACK            | string docId, list of ref                                     |
 * | 9    | ERROR          | string code, string rule, string docId, ref, string message   |
 * | 10   | UNSUBSCRIBE    | list of string docId                                          |
 * | 11   | AWARENESS      | string docId, bytes payload                                   |
 * | 12   | PING           | nonce (a varUint)                                             |
 * | 13   | PONG           | nonce (a varUint)                                             |
 * | 14   | CHANGES_SINCE  | string epoch, seq                                             |
 * | 15   | CHANGES        | string epoch, seq, bool more, list of string docId            |
 * | 16   | SUBSCRIBE_SET  | setId, bool hasBase, [baseId], list of (string docId, bytes stateVector) add, list of string docId remove, bool hasResume, [string epoch, seq] |
 *
 * Type 0 is reserved (an all-zero frame is a common bug, not a message).
 * The magic and the version are the first two fields of `HELLO` in every
 * version, so any version can tell a peer that it speaks another one
 * (`bad-version`, then `CloseCodes.BadVersion`). The encoding is canonical:
 * a frame that decodes re-encodes to the same bytes.
 *
 * @module
 */
import type { DocId } from '../docIds.js'
import type { UserId } from '../Identity.js'
import type { Subscription } from '../transport/Transport.js'

/** The protocol version this code speaks, sent in `HELLO`. */
export const PROTOCOL_VERSION = 1

/** The magic string that opens every `HELLO`. */
export const PROTOCOL_NAME = 'feedmesh'

/** The message types and their wire numbers, as a const object; {@link MessageType} is the union. */
export const MessageTypes = {
  /** First frame each way: protocol name and version, role, name; a relay adds its id, epoch and sequence. */
  Hello: 1,
  /** A fresh nonce to sign, and the challenger's id. */
  Challenge: 2,
  /** The answer to a challenge: a public key and its signature over `authPayload`. */
  Auth: 3,
  /** Authentication succeeded: who the relay thinks you are, and its limits. */
  Welcome: 4,
  /** Subscribe to many documents at once, each with a state vector, optionally resuming. */
  Subscribe: 5,
  /** The answer to `SUBSCRIBE`: per document what the subscriber misses and the relay's state vector. */
  Synced: 6,
  /** A Yjs update of one document, with a ref to acknowledge (0: none). */
  Update: 7,
  /** Updates with these refs are durably stored. */
  Ack: 8,
  /** An error: code, guard rule, document, ref, message. */
  Error: 9,
  /** Stop live updates of these documents. */
  Unsubscribe: 10,
  /** A y-protocols awareness update for one document, relayed and never stored. */
  Awareness: 11,
  /** Liveness probe; answered by `PONG` with the same nonce. */
  Ping: 12,
  /** The answer to `PING`. */
  Pong: 13,
  /** Mesh: which documents changed since this point of your change sequence? */
  ChangesSince: 14,
  /** Mesh: the answer to `CHANGES_SINCE`, one batch of document ids. */
  Changes: 15,
  /** Subscribe to a content-addressed set of documents, in full or as a change to a known set. */
  SubscribeSet: 16,
} as const

/** One of {@link MessageTypes}. */
export type MessageType = (typeof MessageTypes)[keyof typeof MessageTypes]

const typeNames: ReadonlyMap<number, string> = new Map(
  Object.entries(MessageTypes).map(([name, type]) => [type, name]),
)

/** The name of a message type for logs and errors, e.g. `Update`; `unknown(42)` for others. */
export function messageTypeName(type: number): string {
  return typeNames.get(type) ?? `unknown(${type})`
}

/** Who speaks on a connection, as a const object; {@link Role} is the union. */
export const Roles = {
  /** An app or CLI acting for one user. */
  Client: 'client',
  /** A relay (in a relay's own `HELLO`, and on peer links). */
  Relay: 'relay',
} as const

/** One of {@link Roles}. */
export type Role = (typeof Roles)[keyof typeof Roles]

/** A point in a relay's change sequence: the instance epoch and a sequence number. */
export interface ResumePoint {
  /** The relay's instance epoch (random, fixed per data directory). */
  epoch: string
  /** The relay's change sequence number. */
  seq: number
}

/** `HELLO` from a client. */
export interface ClientHello {
  /** {@link MessageTypes.Hello}. */
  type: typeof MessageTypes.Hello
  /** The sender's protocol version; decoding refuses any but {@link PROTOCOL_VERSION}. */
  version: number
  /** `client`. */
  role: typeof Roles.Client
  /** The sender's name, e.g. `feedmesh-js/0.1.0` (informational). */
  name: string
}

/** `HELLO` from a relay (to a client, or to a peer relay). */
export interface RelayHello {
  /** {@link MessageTypes.Hello}. */
  type: typeof MessageTypes.Hello
  /** The sender's protocol version; decoding refuses any but {@link PROTOCOL_VERSION}. */
  version: number
  /** `relay`. */
  role: typeof Roles.Relay
  /** The relay's configured name (informational). */
  name: string
  /** The relay's public key, as a user id. */
  relayId: UserId
  /** The relay's instance epoch. */
  epoch: string
  /** The relay's current change sequence. */
  seq: number
}

/** `HELLO`: the first frame each way. */
export type HelloMessage = ClientHello | RelayHello

/** `CHALLENGE`: sign this nonce. */
export interface ChallengeMessage {
  /** {@link MessageTypes.Challenge}. */
  type: typeof MessageTypes.Challenge
  /** 32 random bytes, fresh per connection. */
  nonce: Uint8Array
  /** The challenger's public key, as a user id; it goes into `authPayload`. */
  relayId: UserId
}

/** `AUTH`: the answer to a challenge. */
export interface AuthMessage {
  /** {@link MessageTypes.Auth}. */
  type: typeof MessageTypes.Auth
  /** The responder's public key, as a user id. */
  publicKey: UserId
  /** 64-byte Ed25519 signature over `authPayload(nonce, relayId, role)`, `role` from the responder's `HELLO`. */
  signature: Uint8Array
}

/** The limits a relay enforces on a connection, announced in `WELCOME`. */
export interface ConnectionLimits {
  /** The largest frame the relay accepts, in bytes. */
  maxFrameBytes: number
  /** The most documents one connection may have subscribed at once. */
  maxDocs: number
  /** The most entries in one batch (`SUBSCRIBE`, `UNSUBSCRIBE`, `ACK`, ...). */
  maxBatch: number
}

/** `WELCOME`: authentication succeeded. */
export interface WelcomeMessage {
  /** {@link MessageTypes.Welcome}. */
  type: typeof MessageTypes.Welcome
  /** Who the relay thinks the other side is (its verified public key). */
  userId: UserId
  /** As what: a client, or a trusted peer relay. */
  role: Role
  /** The limits the relay enforces on this connection. */
  limits: ConnectionLimits
}

/** `SUBSCRIBE`: many documents in one frame. */
export interface SubscribeMessage {
  /** {@link MessageTypes.Subscribe}. */
  type: typeof MessageTypes.Subscribe
  /** The documents, each with the subscriber's state vector (may be empty with `resume`). */
  subscriptions: Subscription[]
  /** The relay's `{ epoch, seq }` at the subscriber's last complete sync, if any. */
  resume?: ResumePoint
}

/** `SUBSCRIBE_SET`: subscribe to a content-addressed set of documents (see the module comment). */
export interface SubscribeSetMessage {
  /** {@link MessageTypes.SubscribeSet}. */
  type: typeof MessageTypes.SubscribeSet
  /** The id of the resulting set (`subscriptionSetId`), 16 bytes. */
  setId: Uint8Array
  /** The id of a set the relay knows that the resulting set is built from; absent: `add` is the whole set. */
  base?: Uint8Array
  /** Documents added to `base` (or the whole set), each with a state vector (empty: none sent). */
  add: Subscription[]
  /** Documents of `base` left out of the resulting set. */
  remove: DocId[]
  /** The relay's `{ epoch, seq }` at the subscriber's last complete sync, if any. */
  resume?: ResumePoint
}

/** One document of a `SYNCED` answer. */
export interface SyncedEntry {
  /** The document. */
  docId: DocId
  /** What the subscriber misses (a Yjs update). */
  update: Uint8Array
  /** The relay's state vector of the document. */
  stateVector: Uint8Array
}

/** `SYNCED`: the answer to a `SUBSCRIBE`. */
export interface SyncedMessage {
  /** {@link MessageTypes.Synced}. */
  type: typeof MessageTypes.Synced
  /** The documents answered (with `resume`: only those changed since). */
  docs: SyncedEntry[]
  /** The relay's instance epoch. */
  epoch: string
  /** The relay's change sequence this answer is complete up to. */
  seq: number
  /** True when more `SYNCED` frames of the same answer follow. */
  more: boolean
}

/** `UPDATE`: a Yjs update of one document. */
export interface UpdateMessage {
  /** {@link MessageTypes.Update}. */
  type: typeof MessageTypes.Update
  /** The document. */
  docId: DocId
  /** The Yjs update. */
  update: Uint8Array
  /** The sender's reference for `ACK`/`ERROR`; 0 = none (relay pushes). */
  ref: number
}

/** `ACK`: the updates with these refs are durably stored. */
export interface AckMessage {
  /** {@link MessageTypes.Ack}. */
  type: typeof MessageTypes.Ack
  /** The document the updates belong to. */
  docId: DocId
  /** The refs acknowledged, in the order they were stored. */
  refs: number[]
}

/** `ERROR`: something went wrong; the connection stays open unless a close follows. */
export interface ErrorMessage {
  /** {@link MessageTypes.Error}. */
  type: typeof MessageTypes.Error
  /** Stable error code, e.g. `refused`, `bad-doc-id`, `too-many-docs`, or a `ProtocolErrorCodes` value. */
  code: string
  /** The guard rule for `refused`; empty otherwise. */
  rule: string
  /** The document concerned; empty for none. */
  docId: DocId
  /** The ref of the update concerned; 0 for none. */
  ref: number
  /** Human-readable explanation. */
  message: string
}

/** `UNSUBSCRIBE`: stop live updates of these documents. */
export interface UnsubscribeMessage {
  /** {@link MessageTypes.Unsubscribe}. */
  type: typeof MessageTypes.Unsubscribe
  /** The documents. */
  docIds: DocId[]
}

/** `AWARENESS`: a y-protocols awareness update for one document. */
export interface AwarenessMessage {
  /** {@link MessageTypes.Awareness}. */
  type: typeof MessageTypes.Awareness
  /** The document. */
  docId: DocId
  /** The awareness update (`encodeAwarenessUpdate`). */
  payload: Uint8Array
}

/** `PING`: answer with `PONG` and the same nonce. */
export interface PingMessage {
  /** {@link MessageTypes.Ping}. */
  type: typeof MessageTypes.Ping
  /** Any number the sender chooses. */
  nonce: number
}

/** `PONG`: the answer to a `PING`. */
export interface PongMessage {
  /** {@link MessageTypes.Pong}. */
  type: typeof MessageTypes.Pong
  /** The nonce of the `PING`. */
  nonce: number
}

/** `CHANGES_SINCE`: which documents changed after this point of your sequence? */
export interface ChangesSinceMessage {
  /** {@link MessageTypes.ChangesSince}. */
  type: typeof MessageTypes.ChangesSince
  /** The peer's epoch the asker remembers (empty: never synced). */
  epoch: string
  /** The last sequence the asker received from the peer (0: from the start). */
  seq: number
}

/** `CHANGES`: one batch of documents changed since the asked point. */
export interface ChangesMessage {
  /** {@link MessageTypes.Changes}. */
  type: typeof MessageTypes.Changes
  /** The answering relay's current epoch (differs from the asked one after a restore: full reconciliation). */
  epoch: string
  /** The sequence this batch is complete up to: ask from here next. */
  seq: number
  /** True when more documents changed after `seq`: ask again. */
  more: boolean
  /** The documents changed in this batch. */
  docIds: DocId[]
}

/** Every message of the protocol, discriminated by `type`. */
export type Message =
  | HelloMessage
  | ChallengeMessage
  | AuthMessage
  | WelcomeMessage
  | SubscribeMessage
  | SyncedMessage
  | UpdateMessage
  | AckMessage
  | ErrorMessage
  | UnsubscribeMessage
  | AwarenessMessage
  | PingMessage
  | PongMessage
  | ChangesSinceMessage
  | ChangesMessage
  | SubscribeSetMessage

/** The message of one type, e.g. `MessageOf<typeof MessageTypes.Update>`. */
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>

/** The byte length of nonces in `CHALLENGE`. */
export const NONCE_BYTES = 32

/** The byte length of public keys (relay ids, user ids) on the wire. */
export const KEY_BYTES = 32

/** The byte length of Ed25519 signatures in `AUTH`. */
export const SIGNATURE_BYTES = 64
