/**
 * fast-check arbitraries of every wire-protocol message, for the codec's
 * round-trip and fuzz tests (and for anyone testing a transport or relay
 * against random traffic). Strings cover the whole Unicode range (BOMs,
 * NULs, astral characters), numbers the whole safe-integer range.
 * Versions stay within what this code decodes: a `HELLO` of a version it
 * speaks, a `CHALLENGE` whose range holds `PROTOCOL_VERSION`.
 */
import fc from 'fast-check'
import { toBase64url } from '../../src/base64url.js'
import {
  type Message,
  MessageTypes,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  type Role,
  Roles,
} from '../../src/protocol/messages.js'

/** A user id: base64url of 32 random bytes. */
export const userIdArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toBase64url)

/** Any safe unsigned integer, biased to varUint byte-length boundaries. */
export const uintArb = fc.oneof(
  fc.nat({ max: 300 }),
  fc.constantFrom(0, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32, 2 ** 53 - 1),
  fc.maxSafeNat(),
)

/** Any string of whole code points (no lone surrogates), short enough for the default limits. */
export const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom('', '\uFEFF', '\uFEFFx', '\0', 'refused', 'p/x/2026-11'),
)

/** A short byte string (a stand-in for Yjs updates, state vectors, awareness payloads). */
export const bytesArb = fc.uint8Array({ maxLength: 48 })

/** A subscription set id: 16 random bytes. */
export const setIdArb = fc.uint8Array({ minLength: 16, maxLength: 16 })

/** A role. */
export const roleArb: fc.Arbitrary<Role> = fc.constantFrom(Roles.Client, Roles.Relay)

/** `fc.record` with ordinary prototypes, so decoded messages compare strictly equal. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true })
}

const list = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { maxLength: 6 })

/** The limits of `CHALLENGE` and `WELCOME`. */
const limitsArb = rec({ maxFrameBytes: uintArb, maxDocs: uintArb, maxBatch: uintArb })

/** A version a decoder of this code accepts in `HELLO`. */
const versionArb = fc.integer({ min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION })

/** Every message type, with random fields. */
export const messageArb: fc.Arbitrary<Message> = fc.oneof(
  rec({
    type: fc.constant(MessageTypes.Hello),
    version: versionArb,
    role: fc.constant(Roles.Client),
    name: textArb,
  }),
  rec({
    type: fc.constant(MessageTypes.Hello),
    version: versionArb,
    role: fc.constant(Roles.Relay),
    name: textArb,
    relayId: userIdArb,
    epoch: textArb,
    seq: uintArb,
  }),
  rec({
    type: fc.constant(MessageTypes.Challenge),
    minVersion: fc.nat({ max: PROTOCOL_VERSION }),
    maxVersion: fc.oneof(
      fc.constant(PROTOCOL_VERSION),
      uintArb.filter((v) => v >= PROTOCOL_VERSION),
    ),
    nonce: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    relayId: userIdArb,
    name: textArb,
    epoch: textArb,
    seq: uintArb,
    limits: limitsArb,
  }),
  rec({
    type: fc.constant(MessageTypes.Auth),
    publicKey: userIdArb,
    signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  }),
  rec({
    type: fc.constant(MessageTypes.Welcome),
    userId: userIdArb,
    role: roleArb,
    limits: limitsArb,
  }),
  fc.record(
    {
      type: fc.constant(MessageTypes.Subscribe),
      subscriptions: list(rec({ docId: textArb, stateVector: bytesArb })),
      resume: rec({ epoch: textArb, seq: uintArb }),
    },
    { requiredKeys: ['type', 'subscriptions'], noNullPrototype: true },
  ),
  rec({
    type: fc.constant(MessageTypes.Synced),
    docs: list(rec({ docId: textArb, update: bytesArb, stateVector: bytesArb })),
    epoch: textArb,
    seq: uintArb,
    more: fc.boolean(),
  }),
  rec({
    type: fc.constant(MessageTypes.Update),
    docId: textArb,
    update: bytesArb,
    ref: uintArb,
  }),
  rec({ type: fc.constant(MessageTypes.Ack), docId: textArb, refs: list(uintArb) }),
  rec({
    type: fc.constant(MessageTypes.Error),
    code: textArb,
    rule: textArb,
    docId: textArb,
    ref: uintArb,
    message: textArb,
  }),
  rec({ type: fc.constant(MessageTypes.Unsubscribe), docIds: list(textArb) }),
  rec({ type: fc.constant(MessageTypes.Awareness), docId: textArb, payload: bytesArb }),
  rec({ type: fc.constant(MessageTypes.Ping), nonce: uintArb }),
  rec({ type: fc.constant(MessageTypes.Pong), nonce: uintArb }),
  rec({ type: fc.constant(MessageTypes.ChangesSince), epoch: textArb, seq: uintArb }),
  rec({
    type: fc.constant(MessageTypes.Changes),
    epoch: textArb,
    seq: uintArb,
    more: fc.boolean(),
    docIds: list(textArb),
  }),
  fc.record(
    {
      type: fc.constant(MessageTypes.SubscribeSet),
      setId: setIdArb,
      base: setIdArb,
      add: list(rec({ docId: textArb, stateVector: bytesArb })),
      remove: list(textArb),
      resume: rec({ epoch: textArb, seq: uintArb }),
    },
    { requiredKeys: ['type', 'setId', 'add', 'remove'], noNullPrototype: true },
  ),
)
