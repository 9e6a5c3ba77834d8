import fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import { fromBase64url, toBase64url } from '../src/base64url.js'
import { verify } from '../src/ed25519.js'
import { Identity } from '../src/Identity.js'
import { AUTH_DOMAIN, answerChallenge, authPayload } from '../src/protocol/authPayload.js'
import { CloseCodes, closeCodeFor, shouldReconnect } from '../src/protocol/closeCodes.js'
import { decodeMessage } from '../src/protocol/decodeMessage.js'
import { encodeMessage } from '../src/protocol/encodeMessage.js'
import { DefaultLimits } from '../src/protocol/limits.js'
import {
  type ChallengeMessage,
  type Message,
  MessageTypes,
  MIN_PROTOCOL_VERSION,
  messageTypeName,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  Roles,
} from '../src/protocol/messages.js'
import { ProtocolError, ProtocolErrorCodes } from '../src/protocol/ProtocolError.js'
import { SET_ID_BYTES, setIdKey, subscriptionSetId } from '../src/protocol/subscriptionSets.js'
import { fcParams, runs } from './helpers/fuzz.js'
import { messageArb, userIdArb } from './helpers/protocolArbitraries.js'

/** Builds a frame by hand with lib0's encoder. */
function build(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder()
  write(e)
  return encoding.toUint8Array(e)
}

/** The ProtocolError code `fn` throws; fails on any other exception or none. */
function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (error instanceof ProtocolError) return error.code
    throw error
  }
  return 'no error'
}

const relayId = toBase64url(new Uint8Array(32).fill(7))
const hello = (version: number, magic = PROTOCOL_NAME) =>
  build((e) => {
    encoding.writeVarUint(e, MessageTypes.Hello)
    encoding.writeVarString(e, magic)
    encoding.writeVarUint(e, version)
    encoding.writeVarUint(e, 0)
    encoding.writeVarString(e, 'x')
  })

/** A relay's CHALLENGE, fields overridable. */
const challengeOf = (fields: Partial<ChallengeMessage> = {}): ChallengeMessage => ({
  type: MessageTypes.Challenge,
  minVersion: MIN_PROTOCOL_VERSION,
  maxVersion: PROTOCOL_VERSION,
  nonce: new Uint8Array(32).fill(3),
  relayId,
  name: 'r',
  epoch: 'e',
  seq: 5,
  limits: { maxFrameBytes: 300, maxDocs: 2, maxBatch: 1 },
  ...fields,
})

/** A CHALLENGE frame with any magic and version range, then the fields of this version. */
const challengeFrame = (minVersion: number, maxVersion: number, magic = PROTOCOL_NAME) =>
  build((e) => {
    encoding.writeVarUint(e, MessageTypes.Challenge)
    encoding.writeVarString(e, magic)
    encoding.writeVarUint(e, minVersion)
    encoding.writeVarUint(e, maxVersion)
    encoding.writeUint8Array(e, encodeMessage(challengeOf()).subarray(12))
  })

describe('wire protocol: round trips', () => {
  it('decodes every encoded message to an equal message, and re-encodes the same bytes', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const frame = encodeMessage(msg)
        const decoded = decodeMessage(frame)
        expect(decoded).toStrictEqual(msg)
        expect(encodeMessage(decoded)).toEqual(frame)
      }),
      fcParams(runs(2000, 100_000)),
    )
  })

  it('regression SEED=314119157: encodes null-prototype messages (as fast-check builds them)', () => {
    const msg = Object.assign(Object.create(null) as object, {
      type: MessageTypes.Unsubscribe,
      docIds: [],
    }) as Message
    expect(decodeMessage(encodeMessage(msg))).toStrictEqual({
      type: MessageTypes.Unsubscribe,
      docIds: [],
    })
  })

  it('generates every message type (the arbitraries cover the whole protocol)', () => {
    const seen = new Set(fc.sample(messageArb, { numRuns: 2000, seed: 1 }).map((m) => m.type))
    expect([...seen].sort((a, b) => a - b)).toEqual(Object.values(MessageTypes))
  })

  it('has hand-checked layouts for a few frames', () => {
    expect(encodeMessage({ type: MessageTypes.Ping, nonce: 300 })).toEqual(
      Uint8Array.of(12, 0xac, 0x02),
    )
    expect(
      encodeMessage({ type: MessageTypes.Update, docId: 'u/a', update: Uint8Array.of(9), ref: 1 }),
    ).toEqual(Uint8Array.of(7, 3, 0x75, 0x2f, 0x61, 1, 9, 1))
    expect(encodeMessage({ type: MessageTypes.Subscribe, subscriptions: [] })).toEqual(
      Uint8Array.of(5, 0, 0),
    )
    const relayHello = encodeMessage({
      type: MessageTypes.Hello,
      version: PROTOCOL_VERSION,
      role: Roles.Relay,
      name: 'r',
      relayId,
      epoch: 'e',
      seq: 5,
    })
    expect([...relayHello.subarray(0, 14)]).toEqual([
      1,
      8,
      ...Buffer.from('feedmesh'),
      2,
      1,
      1,
      0x72,
    ])
    expect(relayHello.subarray(14, 46)).toEqual(new Uint8Array(32).fill(7))
    expect([...relayHello.subarray(46)]).toEqual([1, 0x65, 5])
  })

  it('lays out CHALLENGE as documented: magic and version range first', () => {
    const frame = encodeMessage(challengeOf())
    expect([...frame.subarray(0, 12)]).toEqual([2, 8, ...Buffer.from('feedmesh'), 2, 2])
    expect(frame.subarray(12, 44)).toEqual(new Uint8Array(32).fill(3))
    expect(frame.subarray(44, 76)).toEqual(new Uint8Array(32).fill(7))
    expect([...frame.subarray(76)]).toEqual([1, 0x72, 1, 0x65, 5, 0xac, 0x02, 2, 1])
    expect(decodeMessage(frame)).toStrictEqual(challengeOf())
    // a relay that also speaks later versions is understood, with the fields of this one
    const wider = challengeOf({ minVersion: 1, maxVersion: 9 })
    expect(decodeMessage(encodeMessage(wider))).toStrictEqual(wider)
    expect(challengeFrame(PROTOCOL_VERSION, PROTOCOL_VERSION)).toEqual(frame)
  })

  it('lays out SUBSCRIBE_SET as documented, and names sets by content', () => {
    const setId = subscriptionSetId(['t/b', 't/a', 't/b'])
    expect(setId).toHaveLength(SET_ID_BYTES)
    expect(setId).toEqual(subscriptionSetId(['t/a', 't/b']))
    expect(setId).not.toEqual(subscriptionSetId(['t/a']))
    expect(setId).not.toEqual(subscriptionSetId(['t/a', 't/b', 't/c']))
    expect(setIdKey(setId)).toMatch(/^[0-9a-f]{32}$/)
    const same = encodeMessage({
      type: MessageTypes.SubscribeSet,
      setId,
      base: setId,
      add: [],
      remove: [],
      resume: { epoch: 'e', seq: 300 },
    })
    expect([...same]).toEqual([16, ...setId, 1, ...setId, 0, 0, 1, 1, 0x65, 0xac, 0x02])
    expect(decodeMessage(same)).toEqual({
      type: MessageTypes.SubscribeSet,
      setId,
      base: setId,
      add: [],
      remove: [],
      resume: { epoch: 'e', seq: 300 },
    })
    const full = encodeMessage({
      type: MessageTypes.SubscribeSet,
      setId,
      add: [{ docId: 't/a', stateVector: Uint8Array.of(0) }],
      remove: ['t/c'],
    })
    expect([...full]).toEqual([
      16,
      ...setId,
      0,
      1,
      3,
      0x74,
      0x2f,
      0x61,
      1,
      0,
      1,
      3,
      0x74,
      0x2f,
      0x63,
      0,
    ])
  })

  it('decodes frames that are views into a larger buffer, and returns copies', () => {
    const frame = encodeMessage({
      type: MessageTypes.Update,
      docId: 'p/x/2026-11',
      update: Uint8Array.of(1, 2, 3),
      ref: 42,
    })
    const backing = new Uint8Array(frame.length + 20).fill(0xee)
    backing.set(frame, 10)
    const view = Buffer.from(backing.buffer, 10, frame.length)
    const msg = decodeMessage(view)
    expect(msg).toEqual({
      type: MessageTypes.Update,
      docId: 'p/x/2026-11',
      update: Uint8Array.of(1, 2, 3),
      ref: 42,
    })
    backing.fill(0)
    if (msg.type !== MessageTypes.Update) throw new Error('not an update')
    expect(msg.update).toEqual(Uint8Array.of(1, 2, 3))
    expect(msg.update.buffer).not.toBe(backing.buffer)
  })

  it('names message types', () => {
    expect(messageTypeName(MessageTypes.ChangesSince)).toBe('ChangesSince')
    expect(messageTypeName(99)).toBe('unknown(99)')
  })
})

describe('wire protocol: refusals', () => {
  const small = { maxFrameBytes: 64, maxBatch: 3, maxDocIdLength: 5, maxTextLength: 8 }
  const cases: [name: string, code: string, run: () => unknown][] = [
    ['empty frame', 'truncated', () => decodeMessage(new Uint8Array())],
    ['reserved type 0', 'unknown-type', () => decodeMessage(Uint8Array.of(0))],
    ['type 17', 'unknown-type', () => decodeMessage(Uint8Array.of(17))],
    [
      'SUBSCRIBE_SET with a set id of 15 bytes',
      'truncated',
      () => decodeMessage(Uint8Array.of(16, ...new Uint8Array(15))),
    ],
    [
      'SUBSCRIBE_SET with hasBase 2',
      'bad-frame',
      () => decodeMessage(Uint8Array.of(16, ...new Uint8Array(16), 2, 0, 0, 0)),
    ],
    [
      'SUBSCRIBE_SET cut before its base',
      'truncated',
      () => decodeMessage(Uint8Array.of(16, ...new Uint8Array(16), 1, ...new Uint8Array(8))),
    ],
    [
      'SUBSCRIBE_SET with more removals than maxBatch',
      'too-large',
      () => decodeMessage(Uint8Array.of(16, ...new Uint8Array(16), 0, 0, 4, 0, 0, 0, 0, 0), small),
    ],
    [
      'SUBSCRIBE_SET with bytes after it',
      'trailing-bytes',
      () => decodeMessage(Uint8Array.of(16, ...new Uint8Array(16), 0, 0, 0, 0, 0)),
    ],
    [
      'SUBSCRIBE_SET encoded with a set id of 8 bytes',
      'bad-field',
      () =>
        encodeMessage({
          type: MessageTypes.SubscribeSet,
          setId: new Uint8Array(8),
          add: [],
          remove: [],
        }),
    ],
    ['type 16383', 'unknown-type', () => decodeMessage(Uint8Array.of(0xff, 0x7f))],
    ['type varUint cut', 'truncated', () => decodeMessage(Uint8Array.of(0x81))],
    ['string cut', 'truncated', () => decodeMessage(Uint8Array.of(7, 5, 0x61, 0x62))],
    [
      'byte length of 2^50 (no allocation)',
      'truncated',
      () =>
        decodeMessage(
          build((e) => {
            encoding.writeVarUint(e, MessageTypes.Awareness)
            encoding.writeVarString(e, 'u/a')
            encoding.writeVarUint(e, 2 ** 50)
          }),
        ),
    ],
    [
      'nonce of 31 bytes',
      'truncated',
      () => decodeMessage(encodeMessage(challengeOf()).subarray(0, 12 + 31)),
    ],
    [
      'batch count larger than the frame can hold',
      'truncated',
      () => decodeMessage(Uint8Array.of(10, 0xe8, 0x07, 0, 0, 0)),
    ],
    ['missing boolean', 'truncated', () => decodeMessage(Uint8Array.of(5, 0))],
    ['missing ref', 'truncated', () => decodeMessage(Uint8Array.of(7, 0, 0))],
    [
      'frame above maxFrameBytes',
      'too-large',
      () => decodeMessage(new Uint8Array(65).fill(12), small),
    ],
    [
      'batch above maxBatch',
      'too-large',
      () => decodeMessage(Uint8Array.of(10, 4, 0, 0, 0, 0), small),
    ],
    [
      'docId above maxDocIdLength',
      'too-large',
      () => decodeMessage(Uint8Array.of(11, 6, ...Buffer.from('u/abcd'), 0), small),
    ],
    [
      'text above maxTextLength',
      'too-large',
      () => decodeMessage(Uint8Array.of(14, 9, ...Buffer.from('123456789'), 0), small),
    ],
    [
      'docId above the default limit',
      'too-large',
      () =>
        decodeMessage(encodeMessage({ type: MessageTypes.Unsubscribe, docIds: ['u'.repeat(201)] })),
    ],
    ['trailing byte', 'trailing-bytes', () => decodeMessage(Uint8Array.of(12, 1, 0))],
    [
      'trailing byte after a batch',
      'trailing-bytes',
      () => decodeMessage(Uint8Array.of(10, 1, 1, 0x61, 0xff)),
    ],
    ['HELLO of a later version', 'bad-version', () => decodeMessage(hello(PROTOCOL_VERSION + 1))],
    ['HELLO version 1', 'bad-version', () => decodeMessage(hello(1))],
    ['HELLO version 0', 'bad-version', () => decodeMessage(hello(0))],
    [
      'HELLO of another protocol',
      'bad-magic',
      () => decodeMessage(hello(PROTOCOL_VERSION, 'yjs-sync')),
    ],
    [
      'HELLO with a long magic',
      'bad-magic',
      () => decodeMessage(hello(PROTOCOL_VERSION, 'x'.repeat(300))),
    ],
    [
      'CHALLENGE of later versions only',
      'bad-version',
      () => decodeMessage(challengeFrame(PROTOCOL_VERSION + 1, PROTOCOL_VERSION + 3)),
    ],
    [
      'CHALLENGE of earlier versions only',
      'bad-version',
      () => decodeMessage(challengeFrame(0, PROTOCOL_VERSION - 1)),
    ],
    [
      'CHALLENGE with an empty range',
      'bad-version',
      () => decodeMessage(challengeFrame(PROTOCOL_VERSION + 1, PROTOCOL_VERSION - 1)),
    ],
    [
      'CHALLENGE of another protocol',
      'bad-magic',
      () => decodeMessage(challengeFrame(PROTOCOL_VERSION, PROTOCOL_VERSION, 'feedmess')),
    ],
    [
      'CHALLENGE of version 1 (nonce and relay id only)',
      'bad-magic',
      () =>
        decodeMessage(Uint8Array.of(2, ...new Uint8Array(32).fill(3), ...fromBase64url(relayId)!)),
    ],
    ['varUint not in shortest form', 'bad-frame', () => decodeMessage(Uint8Array.of(12, 0x80, 0))],
    [
      'varUint above 2^53 - 1',
      'bad-frame',
      () => decodeMessage(Uint8Array.of(12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10)),
    ],
    [
      'varUint of nine bytes',
      'bad-frame',
      () => decodeMessage(Uint8Array.of(12, ...new Array(8).fill(0x81), 1)),
    ],
    ['invalid UTF-8', 'bad-frame', () => decodeMessage(Uint8Array.of(14, 2, 0xc3, 0x28, 0))],
    [
      'UTF-8 surrogate',
      'bad-frame',
      () => decodeMessage(Uint8Array.of(14, 3, 0xed, 0xa0, 0x80, 0)),
    ],
    ['boolean byte 2', 'bad-frame', () => decodeMessage(Uint8Array.of(5, 0, 2))],
    [
      'unknown role',
      'bad-frame',
      () =>
        decodeMessage(
          build((e) => {
            encoding.writeVarUint(e, MessageTypes.Hello)
            encoding.writeVarString(e, PROTOCOL_NAME)
            encoding.writeVarUint(e, PROTOCOL_VERSION)
            encoding.writeVarUint(e, 2)
          }),
        ),
    ],
    ['not a Uint8Array', 'bad-frame', () => decodeMessage([12, 0] as unknown as Uint8Array)],
    [
      'encode a negative ref',
      'bad-field',
      () =>
        encodeMessage({
          type: MessageTypes.Update,
          docId: 'u/a',
          update: new Uint8Array(),
          ref: -1,
        }),
    ],
    [
      'encode a fractional seq',
      'bad-field',
      () => encodeMessage({ type: MessageTypes.ChangesSince, epoch: 'e', seq: 1.5 }),
    ],
    [
      'encode NaN',
      'bad-field',
      () => encodeMessage({ type: MessageTypes.Ping, nonce: Number.NaN }),
    ],
    ['encode 2^53', 'bad-field', () => encodeMessage({ type: MessageTypes.Pong, nonce: 2 ** 53 })],
    [
      'encode a key that is not a user id',
      'bad-field',
      () =>
        encodeMessage({
          type: MessageTypes.Auth,
          publicKey: 'abc',
          signature: new Uint8Array(64),
        }),
    ],
    [
      'encode a short signature',
      'bad-field',
      () =>
        encodeMessage({
          type: MessageTypes.Auth,
          publicKey: relayId,
          signature: new Uint8Array(63),
        }),
    ],
    [
      'encode a short nonce',
      'bad-field',
      () => encodeMessage(challengeOf({ nonce: new Uint8Array(31) })),
    ],
    [
      'encode a lone surrogate',
      'bad-field',
      () => encodeMessage({ type: MessageTypes.Unsubscribe, docIds: ['a\uD800b'] }),
    ],
    [
      'encode a lone low surrogate',
      'bad-field',
      () => encodeMessage({ type: MessageTypes.ChangesSince, epoch: '\uDC00', seq: 0 }),
    ],
    [
      'encode an unknown role',
      'bad-field',
      () =>
        encodeMessage({
          type: MessageTypes.Welcome,
          userId: relayId,
          role: 'admin' as typeof Roles.Client,
          limits: { maxFrameBytes: 1, maxDocs: 1, maxBatch: 1 },
        }),
    ],
    [
      'encode an unknown type',
      'unknown-type',
      () => encodeMessage({ type: 99 } as unknown as Message),
    ],
    [
      'authPayload with a short nonce',
      'bad-field',
      () => authPayload(new Uint8Array(8), relayId, 'client'),
    ],
    [
      'authPayload with a bad relay id',
      'bad-field',
      () => authPayload(new Uint8Array(32), 'x', 'client'),
    ],
  ]

  for (const [name, code, run] of cases) {
    it(`${name}: ${code}`, () => {
      expect(codeOf(run)).toBe(code)
    })
  }

  it('has a crafted case for every error code', () => {
    const covered = new Set(cases.map(([, code]) => code))
    for (const code of Object.values(ProtocolErrorCodes)) expect(covered).toContain(code)
  })

  it('throws errors that are ProtocolErrors with a message', () => {
    try {
      decodeMessage(Uint8Array.of(12, 1, 0))
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError)
      expect(error).toBeInstanceOf(Error)
      expect((error as ProtocolError).name).toBe('ProtocolError')
      expect((error as ProtocolError).message).toMatch(/1 bytes after the end of Ping/)
    }
  })

  it('accepts exactly the limits and refuses one more', () => {
    const unsub = (n: number, len: number) =>
      encodeMessage({ type: MessageTypes.Unsubscribe, docIds: new Array(n).fill('d'.repeat(len)) })
    const limits = { maxBatch: 3, maxDocIdLength: 5, maxFrameBytes: unsub(3, 5).length }
    expect(decodeMessage(unsub(3, 5), limits)).toMatchObject({
      docIds: ['ddddd', 'ddddd', 'ddddd'],
    })
    expect(codeOf(() => decodeMessage(unsub(4, 1), limits))).toBe('too-large')
    expect(codeOf(() => decodeMessage(unsub(1, 6), limits))).toBe('too-large')
    expect(
      codeOf(() => decodeMessage(unsub(3, 5), { maxFrameBytes: limits.maxFrameBytes - 1 })),
    ).toBe('too-large')
    expect(DefaultLimits.maxDocIdLength).toBeGreaterThanOrEqual(200)
  })

  it('decodes hostile large frames quickly', () => {
    const withHead = (head: number[], length: number, fill: number) => {
      const frame = new Uint8Array(length).fill(fill)
      frame.set(head)
      return frame
    }
    const frames = [
      new Uint8Array(1 << 20).fill(0x80),
      // UNSUBSCRIBE of 10,000 empty doc ids, then a megabyte of zeros
      withHead([10, 0x90, 0x4e], 1 << 20, 0),
      // ACK claiming 10,000 refs, all of them non-terminated varUints
      withHead([8, 0, 0x90, 0x4e], 10_004, 0x80),
    ]
    const start = performance.now()
    const codes = frames.map((frame) => codeOf(() => decodeMessage(frame)))
    expect(performance.now() - start).toBeLessThan(500)
    expect(codes).toEqual(['bad-frame', 'trailing-bytes', 'bad-frame'])
  })
})

describe('wire protocol: auth payload', () => {
  it('has a fixed, domain-separated layout', () => {
    const nonce = Uint8Array.from({ length: 32 }, (_, i) => i)
    const payload = authPayload(nonce, relayId, Roles.Client)
    expect(payload.length).toBe(1 + AUTH_DOMAIN.length + 1 + 32 + 32)
    expect(new TextDecoder().decode(payload.subarray(1, 17))).toBe('feedmesh-auth-v1')
    expect(payload[0]).toBe(16)
    expect(payload[17]).toBe(0)
    expect(payload.subarray(18, 50)).toEqual(nonce)
    expect(payload.subarray(50)).toEqual(fromBase64url(relayId))
    expect(authPayload(nonce, relayId, Roles.Relay)[17]).toBe(1)
  })

  it('binds nonce, relay and role: a signature for one never verifies for another', async () => {
    const identity = Identity.generate()
    const publicKey = fromBase64url(identity.userId)!
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        userIdArb,
        userIdArb,
        async (nonceA, nonceB, relayA, relayB) => {
          const signature = identity.sign(authPayload(nonceA, relayA, Roles.Client))
          expect(
            await verify(publicKey, authPayload(nonceA, relayA, Roles.Client), signature),
          ).toBe(true)
          expect(await verify(publicKey, authPayload(nonceA, relayA, Roles.Relay), signature)).toBe(
            false,
          )
          const sameNonce = nonceA.every((b, i) => b === nonceB[i])
          if (!sameNonce) {
            expect(
              await verify(publicKey, authPayload(nonceB, relayA, Roles.Client), signature),
            ).toBe(false)
          }
          if (relayA !== relayB) {
            expect(
              await verify(publicKey, authPayload(nonceA, relayB, Roles.Client), signature),
            ).toBe(false)
          }
        },
      ),
      fcParams(runs(20, 500)),
    )
  })

  it('carries through AUTH: the relay verifies what the client signed', async () => {
    const client = Identity.generate()
    const nonce = crypto.getRandomValues(new Uint8Array(32))
    const challenge = decodeMessage(encodeMessage(challengeOf({ nonce })))
    if (challenge.type !== MessageTypes.Challenge) throw new Error('not a challenge')
    const auth = decodeMessage(encodeMessage(answerChallenge(challenge, client, Roles.Client)))
    if (auth.type !== MessageTypes.Auth) throw new Error('not an auth')
    expect(auth.publicKey).toBe(client.userId)
    const key = fromBase64url(auth.publicKey)!
    expect(await verify(key, authPayload(nonce, relayId, Roles.Client), auth.signature)).toBe(true)
  })
})

describe('wire protocol: close codes', () => {
  it('are unique, standard or in the 4000-4999 application range', () => {
    const codes = Object.values(CloseCodes)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) {
      expect(code >= 4000 ? code <= 4999 : code >= 1000 && code <= 1015).toBe(true)
    }
  })

  it('say when reconnecting helps', () => {
    expect(shouldReconnect(CloseCodes.GoingAway)).toBe(true)
    expect(shouldReconnect(CloseCodes.InternalError)).toBe(true)
    expect(shouldReconnect(1006)).toBe(true)
    expect(shouldReconnect(CloseCodes.AuthFailed)).toBe(false)
    expect(shouldReconnect(CloseCodes.BadVersion)).toBe(false)
    expect(shouldReconnect(CloseCodes.UntrustedPeer)).toBe(false)
  })

  it('map decoding failures', () => {
    expect(closeCodeFor(ProtocolErrorCodes.TooLarge)).toBe(CloseCodes.TooLarge)
    expect(closeCodeFor(ProtocolErrorCodes.BadVersion)).toBe(CloseCodes.BadVersion)
    expect(closeCodeFor(ProtocolErrorCodes.TrailingBytes)).toBe(CloseCodes.ProtocolError)
  })
})
