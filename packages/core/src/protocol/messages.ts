/**
 * The messages of the feedmesh wire protocol, as TypeScript types. One
 * WebSocket per client per relay (and per pair of peered relays) carries any
 * number of documents in binary frames; each frame is one {@link Message}:
 * a varUint {@link MessageTypes} value, then the fields listed below.
 * `encodeMessage` and `decodeMessage` turn messages into frames and back;
 * payloads (Yjs updates, state vectors, y-protocols awareness updates) are
 * opaque bytes here.
 *
 * Exchange on a client connection (C = client, R = relay). Catching up
 * costs three round trips: TCP, the WebSocket upgrade (the relay's
 * `CHALLENGE` travels with the upgrade's answer), then one flight from the
 * client answered by `WELCOME` and `SYNCED`:
 *
 * 1. R → C `CHALLENGE` as soon as the socket is open, before the client
 *    said anything: the protocol versions the relay speaks (`minVersion`
 *    to `maxVersion`), a fresh 32-byte nonce, the relay's id, name,
 *    instance epoch and current change sequence, and the limits it
 *    enforces. A client that speaks none of those versions cannot decode
 *    it (`bad-version`) and closes with `CloseCodes.BadVersion`.
 * 2. C → R, back to back in one flight: `HELLO` (role `client`, the version
 *    it chose from the relay's range), `AUTH` (the client's public key and
 *    its Ed25519 signature over `authPayload(nonce, relayId, 'client')`),
 *    then whatever it wants to do (`SUBSCRIBE`, `SUBSCRIBE_SET`, `UPDATE`,
 *    ...), split by the limits of the `CHALLENGE`. The relay handles a
 *    connection's frames one after another, in order: R → C `WELCOME` (who
 *    the relay thinks the client is, and its limits), then the answers. A
 *    `HELLO` of a version outside the range gets `ERROR bad-version` and
 *    `CloseCodes.BadVersion`; an `AUTH` that does not verify gets `ERROR
 *    auth-failed` and `CloseCodes.AuthFailed`, and so does any other
 *    message before `AUTH` succeeded (`ERROR unauthenticated`): the frames
 *    pipelined behind a failed `AUTH` are never answered, and an
 *    unauthenticated connection receives nothing but the `CHALLENGE` and
 *    that error. A first message other than `HELLO` is a protocol error
 *    (`ERROR`, then `CloseCodes.ProtocolError`); a second `AUTH` gets an
 *    `ERROR` and the connection stays usable. No `AUTH` within the relay's
 *    timeout: `CloseCodes.AuthTimeout`.
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
 * Peer links between relays use the same messages, and the same early
 * challenge both ways. The accepting relay (A) sends its `CHALLENGE` as
 * the socket opens, as to any client; the dialing relay (D) answers in one
 * flight with `HELLO` (role `relay`: its id, epoch and sequence), its own
 * `CHALLENGE` and its `AUTH` (signed with role `relay`); A answers with its
 * `AUTH` and `WELCOME`, D with its `WELCOME`. So each side proves its key
 * to the other; each side checks the key against its configured trusted
 * peers and closes with `CloseCodes.UntrustedPeer` otherwise. Once both
 * `WELCOME`s are through, each side pulls what changed on the other: `CHANGES_SINCE`
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
 * | 1    | HELLO          | string magic `feedmesh`, version, then (version 2) role (0 client, 1 relay), string name; a relay adds key relayId, string epoch, seq |
 * | 2    | CHALLENGE      | string magic `feedmesh`, minVersion, maxVersion, then (version 2) nonce, key relayId, string name, string epoch, seq, maxFrameBytes, maxDocs, maxBatch |
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
 * Versions: the magic and the version are the first two fields of `HELLO`,
 * and the magic and the version range the first three of `CHALLENGE`, in
 * every version; the rest of a `CHALLENGE` is laid out as every version of
 * its range reads it (a version that lays it out otherwise raises the
 * range's minimum). So a client tells from the first frame whether it can
 * talk to a relay, and a relay from the first frame whether it can talk to
 * a client; either way the other side learns it (`ERROR bad-version`, then
 * `CloseCodes.BadVersion`). Version 1 (the relay said `HELLO` and
 * `CHALLENGE` only after the client's `HELLO`) is not spoken any more. The
 * encoding is canonical: a frame that decodes re-encodes to the same bytes.
 *
 * @module
 */
import type { DocId } from '../docIds.js'
import type { UserId } from '../Identity.js'
import type { Subscription } from '../transport/Transport.js'

/** The newest protocol version this code speaks: a client sends it in `HELLO`, a relay as `maxVersion` of its `CHALLENGE`. */
export const PROTOCOL_VERSION = 2

/** The oldest protocol version this code speaks: `minVersion` of a relay's `CHALLENGE`. */
export const MIN_PROTOCOL_VERSION = 2

/** The magic string that opens every `HELLO`. */
export const PROTOCOL_NAME = 'feedmesh'

/** The message types and their wire numbers, as a const object; {@link MessageType} is the union. */
export const MessageTypes = {
  /** The client's (or dialing relay's) first frame: protocol name and version, role, name; a relay adds its id, epoch and sequence. */
  Hello: 1,
  /** First frame of a relay on every connection: its versions, a fresh nonce to sign, its id, epoch, sequence and limits. */
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
  /** The version the sender speaks on this connection; decoding refuses any outside {@link MIN_PROTOCOL_VERSION}..{@link PROTOCOL_VERSION}. */
  version: number
  /** `client`. */
  role: typeof Roles.Client
  /** The sender's name, e.g. `feedmesh-js/0.1.0` (informational). */
  name: string
}

/** `HELLO` from a relay dialing a peer relay. */
export interface RelayHello {
  /** {@link MessageTypes.Hello}. */
  type: typeof MessageTypes.Hello
  /** The version the sender speaks on this connection; decoding refuses any outside {@link MIN_PROTOCOL_VERSION}..{@link PROTOCOL_VERSION}. */
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

/** `HELLO`: the first frame of the side that opened the connection. */
export type HelloMessage = ClientHello | RelayHello

/**
 * `CHALLENGE`: the first frame of a relay on every connection (and of a
 * dialing relay after its `HELLO`): which versions it speaks, a nonce to
 * sign, and what the other side needs before it is authenticated.
 */
export interface ChallengeMessage {
  /** {@link MessageTypes.Challenge}. */
  type: typeof MessageTypes.Challenge
  /** The oldest protocol version the challenger speaks. */
  minVersion: number
  /** The newest protocol version the challenger speaks; decoding refuses a range without {@link PROTOCOL_VERSION}. */
  maxVersion: number
  /** 32 random bytes, fresh per connection. */
  nonce: Uint8Array
  /** The challenger's public key, as a user id; it goes into `authPayload`. */
  relayId: UserId
  /** The challenger's configured name (informational). */
  name: string
  /** The challenger's instance epoch (resume points of another epoch do not apply). */
  epoch: string
  /** The challenger's current change sequence. */
  seq: number
  /** The limits the challenger enforces on this connection (the same as its `WELCOME`'s), so frames can be split before `WELCOME`. */
  limits: ConnectionLimits
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
