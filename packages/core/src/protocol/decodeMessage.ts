/**
 * Decoding of untrusted binary frames into protocol messages (layout in
 * `messages.ts`). Whatever the bytes, `decodeMessage` returns a message or
 * throws a {@link ProtocolError}: lengths and counts are checked against the
 * frame and the {@link DecodeLimits} before anything is read or allocated,
 * only the canonical encoding is accepted, and a frame must end exactly
 * where its message ends. Byte fields are copies, independent of the frame.
 *
 * @module
 */
import * as decoding from 'lib0/decoding'
import { toBase64url } from '../base64url.js'
import type { Subscription } from '../transport/Transport.js'
import {
  expectEnd,
  readBool,
  readBytes,
  readCount,
  readFixed,
  readString,
  readUint,
} from './frameReader.js'
import { type DecodeLimits, DefaultLimits } from './limits.js'
import {
  type ConnectionLimits,
  KEY_BYTES,
  type Message,
  MessageTypes,
  MIN_PROTOCOL_VERSION,
  messageTypeName,
  NONCE_BYTES,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  type Role,
  Roles,
  SIGNATURE_BYTES,
  type SubscribeSetMessage,
  type SyncedEntry,
} from './messages.js'
import { ProtocolError, ProtocolErrorCodes } from './ProtocolError.js'
import { SET_ID_BYTES } from './subscriptionSets.js'

const magic = new TextEncoder().encode(PROTOCOL_NAME)

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}

function readKey(d: decoding.Decoder, what: string): string {
  return toBase64url(readFixed(d, KEY_BYTES, what))
}

function readRole(d: decoding.Decoder): Role {
  const role = readUint(d, 'role')
  if (role === 0) return Roles.Client
  if (role === 1) return Roles.Relay
  throw new ProtocolError(ProtocolErrorCodes.BadFrame, `unknown role ${role}`)
}

/** The versions this side speaks, for error messages. */
const speaks =
  MIN_PROTOCOL_VERSION === PROTOCOL_VERSION
    ? `${PROTOCOL_VERSION}`
    : `${MIN_PROTOCOL_VERSION} to ${PROTOCOL_VERSION}`

/** Reads the magic that opens `HELLO` and `CHALLENGE`; `bad-magic` for anything else. */
function readMagic(d: decoding.Decoder, what: string): void {
  const magicLength = readUint(d, 'magic')
  if (magicLength !== magic.length || !equalBytes(readFixed(d, magic.length, 'magic'), magic)) {
    throw new ProtocolError(ProtocolErrorCodes.BadMagic, `${what} from something not feedmesh`)
  }
}

function readLimits(d: decoding.Decoder): ConnectionLimits {
  const maxFrameBytes = readUint(d, 'maxFrameBytes')
  const maxDocs = readUint(d, 'maxDocs')
  return { maxFrameBytes, maxDocs, maxBatch: readUint(d, 'maxBatch') }
}

function readMessage(d: decoding.Decoder, limits: Required<DecodeLimits>): Message {
  const { maxBatch, maxDocIdLength, maxTextLength } = limits
  const docId = () => readString(d, maxDocIdLength, 'docId')
  const text = (what: string) => readString(d, maxTextLength, what)
  const type = readUint(d, 'message type')
  switch (type) {
    case MessageTypes.Hello: {
      readMagic(d, 'HELLO')
      const version = readUint(d, 'version')
      if (version < MIN_PROTOCOL_VERSION || version > PROTOCOL_VERSION) {
        throw new ProtocolError(
          ProtocolErrorCodes.BadVersion,
          `the peer speaks protocol version ${version}, this side ${speaks}`,
        )
      }
      const role = readRole(d)
      const name = text('name')
      if (role === Roles.Client) return { type, version, role, name }
      const relayId = readKey(d, 'relayId')
      const epoch = text('epoch')
      const seq = readUint(d, 'seq')
      return { type, version, role, name, relayId, epoch, seq }
    }
    case MessageTypes.Challenge: {
      readMagic(d, 'CHALLENGE')
      const minVersion = readUint(d, 'minVersion')
      const maxVersion = readUint(d, 'maxVersion')
      if (minVersion > PROTOCOL_VERSION || maxVersion < PROTOCOL_VERSION) {
        const range = minVersion === maxVersion ? `${minVersion}` : `${minVersion} to ${maxVersion}`
        throw new ProtocolError(
          ProtocolErrorCodes.BadVersion,
          `the relay speaks protocol version ${range}, this side ${speaks}`,
        )
      }
      const nonce = readFixed(d, NONCE_BYTES, 'nonce')
      const relayId = readKey(d, 'relayId')
      const name = text('name')
      const epoch = text('epoch')
      const seq = readUint(d, 'seq')
      const limits = readLimits(d)
      return { type, minVersion, maxVersion, nonce, relayId, name, epoch, seq, limits }
    }
    case MessageTypes.Auth: {
      const publicKey = readKey(d, 'publicKey')
      return { type, publicKey, signature: readFixed(d, SIGNATURE_BYTES, 'signature') }
    }
    case MessageTypes.Welcome: {
      const userId = readKey(d, 'userId')
      const role = readRole(d)
      return { type, userId, role, limits: readLimits(d) }
    }
    case MessageTypes.Subscribe: {
      const count = readCount(d, maxBatch, 2, 'subscriptions')
      const subscriptions: Subscription[] = []
      for (let i = 0; i < count; i++) {
        subscriptions.push({ docId: docId(), stateVector: readBytes(d, 'stateVector') })
      }
      if (!readBool(d, 'hasResume')) return { type, subscriptions }
      const epoch = text('epoch')
      return { type, subscriptions, resume: { epoch, seq: readUint(d, 'seq') } }
    }
    case MessageTypes.Synced: {
      const count = readCount(d, maxBatch, 3, 'docs')
      const docs: SyncedEntry[] = []
      for (let i = 0; i < count; i++) {
        const id = docId()
        const update = readBytes(d, 'update')
        docs.push({ docId: id, update, stateVector: readBytes(d, 'stateVector') })
      }
      const epoch = text('epoch')
      const seq = readUint(d, 'seq')
      return { type, docs, epoch, seq, more: readBool(d, 'more') }
    }
    case MessageTypes.Update: {
      const id = docId()
      const update = readBytes(d, 'update')
      return { type, docId: id, update, ref: readUint(d, 'ref') }
    }
    case MessageTypes.Ack: {
      const id = docId()
      const count = readCount(d, maxBatch, 1, 'refs')
      const refs: number[] = []
      for (let i = 0; i < count; i++) refs.push(readUint(d, 'ref'))
      return { type, docId: id, refs }
    }
    case MessageTypes.Error: {
      const code = text('code')
      const rule = text('rule')
      const id = docId()
      const ref = readUint(d, 'ref')
      return { type, code, rule, docId: id, ref, message: text('message') }
    }
    case MessageTypes.Unsubscribe:
      return { type, docIds: readDocIds(d, limits) }
    case MessageTypes.Awareness: {
      const id = docId()
      return { type, docId: id, payload: readBytes(d, 'payload') }
    }
    case MessageTypes.Ping:
    case MessageTypes.Pong:
      return { type, nonce: readUint(d, 'nonce') }
    case MessageTypes.ChangesSince: {
      const epoch = text('epoch')
      return { type, epoch, seq: readUint(d, 'seq') }
    }
    case MessageTypes.Changes: {
      const epoch = text('epoch')
      const seq = readUint(d, 'seq')
      const more = readBool(d, 'more')
      return { type, epoch, seq, more, docIds: readDocIds(d, limits) }
    }
    case MessageTypes.SubscribeSet: {
      const setId = readFixed(d, SET_ID_BYTES, 'setId')
      const base = readBool(d, 'hasBase') ? readFixed(d, SET_ID_BYTES, 'base') : undefined
      const count = readCount(d, maxBatch, 2, 'add')
      const add: Subscription[] = []
      for (let i = 0; i < count; i++) {
        add.push({ docId: docId(), stateVector: readBytes(d, 'stateVector') })
      }
      const remove = readDocIds(d, limits)
      const msg: SubscribeSetMessage =
        base === undefined ? { type, setId, add, remove } : { type, setId, base, add, remove }
      if (!readBool(d, 'hasResume')) return msg
      const epoch = text('epoch')
      return { ...msg, resume: { epoch, seq: readUint(d, 'seq') } }
    }
    default:
      throw new ProtocolError(ProtocolErrorCodes.UnknownType, `unknown message type ${type}`)
  }
}

function readDocIds(d: decoding.Decoder, limits: Required<DecodeLimits>): string[] {
  const count = readCount(d, limits.maxBatch, 1, 'docIds')
  const docIds: string[] = []
  for (let i = 0; i < count; i++) docIds.push(readString(d, limits.maxDocIdLength, 'docId'))
  return docIds
}

/**
 * Decodes one binary frame. Throws {@link ProtocolError} (and nothing else)
 * for any frame that is not exactly one well-formed message within
 * `limits`; `bad-version` and `bad-magic` come from a `HELLO` or a
 * `CHALLENGE` of protocol versions this side does not speak, or of another
 * protocol.
 */
export function decodeMessage(frame: Uint8Array, limits?: DecodeLimits): Message {
  const bounds: Required<DecodeLimits> = {
    maxFrameBytes: limits?.maxFrameBytes ?? DefaultLimits.maxFrameBytes,
    maxBatch: limits?.maxBatch ?? DefaultLimits.maxBatch,
    maxDocIdLength: limits?.maxDocIdLength ?? DefaultLimits.maxDocIdLength,
    maxTextLength: limits?.maxTextLength ?? DefaultLimits.maxTextLength,
  }
  if (!(frame instanceof Uint8Array)) {
    throw new ProtocolError(ProtocolErrorCodes.BadFrame, 'a frame is a Uint8Array')
  }
  if (frame.length > bounds.maxFrameBytes) {
    throw new ProtocolError(
      ProtocolErrorCodes.TooLarge,
      `frame of ${frame.length} bytes, more than the limit of ${bounds.maxFrameBytes}`,
    )
  }
  try {
    const d = decoding.createDecoder(frame)
    const msg = readMessage(d, bounds)
    expectEnd(d, messageTypeName(msg.type))
    return msg
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ProtocolError(ProtocolErrorCodes.BadFrame, 'frame does not decode', { cause: error })
  }
}
