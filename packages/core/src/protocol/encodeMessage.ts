/**
 * Encoding of protocol messages into binary frames (layout in
 * `messages.ts`). Fields are checked as they are written, so a frame this
 * module produces always decodes to an equal message: numbers must be safe
 * non-negative integers, keys user ids, nonces and signatures of their
 * fixed size, strings free of lone surrogates. A message that breaks this
 * throws {@link ProtocolError} `bad-field` (a bug in the sender, never a
 * half-written frame). Limits are the receiver's business: a sender checks
 * the frame's length against the `maxFrameBytes` it was told.
 *
 * @module
 */
import * as encoding from 'lib0/encoding'
import { fromBase64url } from '../base64url.js'
import {
  type ConnectionLimits,
  KEY_BYTES,
  type Message,
  MessageTypes,
  NONCE_BYTES,
  PROTOCOL_NAME,
  type Role,
  Roles,
  SIGNATURE_BYTES,
} from './messages.js'
import { ProtocolError, ProtocolErrorCodes } from './ProtocolError.js'
import { SET_ID_BYTES } from './subscriptionSets.js'

function bad(what: string, why: string): never {
  throw new ProtocolError(ProtocolErrorCodes.BadField, `cannot encode ${what}: ${why}`)
}

function writeUint(encoder: encoding.Encoder, value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    bad(what, `${value} is not a safe unsigned integer`)
  encoding.writeVarUint(encoder, value)
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function writeString(encoder: encoding.Encoder, value: string, what: string): void {
  if (typeof value !== 'string') bad(what, 'not a string')
  if (loneSurrogate.test(value)) bad(what, 'a lone surrogate has no UTF-8 encoding')
  encoding.writeVarString(encoder, value)
}

function writeBytes(encoder: encoding.Encoder, value: Uint8Array, what: string): void {
  if (!(value instanceof Uint8Array)) bad(what, 'not a Uint8Array')
  encoding.writeVarUint8Array(encoder, value)
}

function writeFixed(encoder: encoding.Encoder, value: Uint8Array, length: number, what: string) {
  if (!(value instanceof Uint8Array) || value.length !== length) bad(what, `not ${length} bytes`)
  encoding.writeUint8Array(encoder, value)
}

function writeKey(encoder: encoding.Encoder, userId: string, what: string): void {
  const bytes = typeof userId === 'string' ? fromBase64url(userId) : null
  if (bytes === null || bytes.length !== KEY_BYTES) bad(what, 'not a user id (a 32-byte key)')
  encoding.writeUint8Array(encoder, bytes)
}

function writeBool(encoder: encoding.Encoder, value: boolean, what: string): void {
  if (typeof value !== 'boolean') bad(what, 'not a boolean')
  encoding.writeUint8(encoder, value ? 1 : 0)
}

function writeRole(encoder: encoding.Encoder, role: Role): void {
  if (role === Roles.Client) encoding.writeVarUint(encoder, 0)
  else if (role === Roles.Relay) encoding.writeVarUint(encoder, 1)
  else bad('role', `unknown role ${String(role)}`)
}

function writeLimits(encoder: encoding.Encoder, limits: ConnectionLimits): void {
  if (typeof limits !== 'object' || limits === null) bad('limits', 'not an object')
  writeUint(encoder, limits.maxFrameBytes, 'maxFrameBytes')
  writeUint(encoder, limits.maxDocs, 'maxDocs')
  writeUint(encoder, limits.maxBatch, 'maxBatch')
}

function writeList<T>(
  encoder: encoding.Encoder,
  items: readonly T[],
  what: string,
  write: (item: T) => void,
): void {
  if (!Array.isArray(items)) bad(what, 'not an array')
  encoding.writeVarUint(encoder, items.length)
  for (const item of items) write(item)
}

/** Encodes one message as a binary frame; throws {@link ProtocolError} `bad-field` for fields out of range. */
export function encodeMessage(msg: Message): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, msg.type)
  switch (msg.type) {
    case MessageTypes.Hello:
      writeString(e, PROTOCOL_NAME, 'magic')
      writeUint(e, msg.version, 'version')
      writeRole(e, msg.role)
      writeString(e, msg.name, 'name')
      if (msg.role === Roles.Relay) {
        writeKey(e, msg.relayId, 'relayId')
        writeString(e, msg.epoch, 'epoch')
        writeUint(e, msg.seq, 'seq')
      }
      break
    case MessageTypes.Challenge:
      writeString(e, PROTOCOL_NAME, 'magic')
      writeUint(e, msg.minVersion, 'minVersion')
      writeUint(e, msg.maxVersion, 'maxVersion')
      writeFixed(e, msg.nonce, NONCE_BYTES, 'nonce')
      writeKey(e, msg.relayId, 'relayId')
      writeString(e, msg.name, 'name')
      writeString(e, msg.epoch, 'epoch')
      writeUint(e, msg.seq, 'seq')
      writeLimits(e, msg.limits)
      break
    case MessageTypes.Auth:
      writeKey(e, msg.publicKey, 'publicKey')
      writeFixed(e, msg.signature, SIGNATURE_BYTES, 'signature')
      break
    case MessageTypes.Welcome:
      writeKey(e, msg.userId, 'userId')
      writeRole(e, msg.role)
      writeLimits(e, msg.limits)
      break
    case MessageTypes.Subscribe:
      writeList(e, msg.subscriptions, 'subscriptions', (s) => {
        writeString(e, s.docId, 'docId')
        writeBytes(e, s.stateVector, 'stateVector')
      })
      writeBool(e, msg.resume !== undefined, 'hasResume')
      if (msg.resume !== undefined) {
        writeString(e, msg.resume.epoch, 'epoch')
        writeUint(e, msg.resume.seq, 'seq')
      }
      break
    case MessageTypes.Synced:
      writeList(e, msg.docs, 'docs', (d) => {
        writeString(e, d.docId, 'docId')
        writeBytes(e, d.update, 'update')
        writeBytes(e, d.stateVector, 'stateVector')
      })
      writeString(e, msg.epoch, 'epoch')
      writeUint(e, msg.seq, 'seq')
      writeBool(e, msg.more, 'more')
      break
    case MessageTypes.Update:
      writeString(e, msg.docId, 'docId')
      writeBytes(e, msg.update, 'update')
      writeUint(e, msg.ref, 'ref')
      break
    case MessageTypes.Ack:
      writeString(e, msg.docId, 'docId')
      writeList(e, msg.refs, 'refs', (ref) => writeUint(e, ref, 'ref'))
      break
    case MessageTypes.Error:
      writeString(e, msg.code, 'code')
      writeString(e, msg.rule, 'rule')
      writeString(e, msg.docId, 'docId')
      writeUint(e, msg.ref, 'ref')
      writeString(e, msg.message, 'message')
      break
    case MessageTypes.Unsubscribe:
      writeList(e, msg.docIds, 'docIds', (docId) => writeString(e, docId, 'docId'))
      break
    case MessageTypes.Awareness:
      writeString(e, msg.docId, 'docId')
      writeBytes(e, msg.payload, 'payload')
      break
    case MessageTypes.Ping:
    case MessageTypes.Pong:
      writeUint(e, msg.nonce, 'nonce')
      break
    case MessageTypes.ChangesSince:
      writeString(e, msg.epoch, 'epoch')
      writeUint(e, msg.seq, 'seq')
      break
    case MessageTypes.Changes:
      writeString(e, msg.epoch, 'epoch')
      writeUint(e, msg.seq, 'seq')
      writeBool(e, msg.more, 'more')
      writeList(e, msg.docIds, 'docIds', (docId) => writeString(e, docId, 'docId'))
      break
    case MessageTypes.SubscribeSet:
      writeFixed(e, msg.setId, SET_ID_BYTES, 'setId')
      writeBool(e, msg.base !== undefined, 'hasBase')
      if (msg.base !== undefined) writeFixed(e, msg.base, SET_ID_BYTES, 'base')
      writeList(e, msg.add, 'add', (s) => {
        writeString(e, s.docId, 'docId')
        writeBytes(e, s.stateVector, 'stateVector')
      })
      writeList(e, msg.remove, 'remove', (docId) => writeString(e, docId, 'docId'))
      writeBool(e, msg.resume !== undefined, 'hasResume')
      if (msg.resume !== undefined) {
        writeString(e, msg.resume.epoch, 'epoch')
        writeUint(e, msg.resume.seq, 'seq')
      }
      break
    default: {
      const unknown: { type?: unknown } = msg
      throw new ProtocolError(
        ProtocolErrorCodes.UnknownType,
        `cannot encode unknown message type ${String(unknown.type)}`,
      )
    }
  }
  return encoding.toUint8Array(e)
}
