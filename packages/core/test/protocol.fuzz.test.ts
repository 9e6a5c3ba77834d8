import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeMessage } from '../src/protocol/decodeMessage.js'
import { encodeMessage } from '../src/protocol/encodeMessage.js'
import type { DecodeLimits } from '../src/protocol/limits.js'
import { ProtocolError, ProtocolErrorCodes } from '../src/protocol/ProtocolError.js'
import { fcParams, runs } from './helpers/fuzz.js'
import { messageArb } from './helpers/protocolArbitraries.js'

const codes: ReadonlySet<string> = new Set(Object.values(ProtocolErrorCodes))

/**
 * Decodes untrusted bytes and checks the codec's promise: either a message
 * that re-encodes to exactly these bytes (the encoding is canonical), or a
 * ProtocolError with a known code. Anything else fails the property.
 */
function decodeChecked(frame: Uint8Array, limits?: DecodeLimits): string {
  let msg: ReturnType<typeof decodeMessage>
  try {
    msg = decodeMessage(frame, limits)
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error
    expect(codes).toContain(error.code)
    return error.code
  }
  expect(encodeMessage(msg)).toEqual(frame)
  return 'ok'
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'set'; at: number; byte: number }

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.nat({ max: 9 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    byte: fc.constantFrom(0x00, 0x01, 0x02, 0x7f, 0x80, 0xff),
  }),
)

/** Applies one mutation; positions wrap around the frame's length. */
function mutate(frame: Uint8Array, m: Mutation): Uint8Array {
  const at = frame.length === 0 ? 0 : m.at % (frame.length + 1)
  const before = frame.subarray(0, at)
  const after = frame.subarray(at)
  switch (m.kind) {
    case 'flip': {
      if (frame.length === 0) return frame
      const out = frame.slice()
      const i = m.at % frame.length
      out[i] = out[i]! ^ (1 << m.bit)
      return out
    }
    case 'truncate':
      return frame.slice(0, at)
    case 'insert':
      return Uint8Array.from([...before, ...m.bytes, ...after])
    case 'delete':
      return Uint8Array.from([...before, ...after.subarray(m.length)])
    case 'set': {
      if (frame.length === 0) return frame
      const out = frame.slice()
      out[m.at % frame.length] = m.byte
      return out
    }
  }
}

const limitsArb: fc.Arbitrary<DecodeLimits | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      maxFrameBytes: fc.nat({ max: 400 }),
      maxBatch: fc.nat({ max: 8 }),
      maxDocIdLength: fc.nat({ max: 40 }),
      maxTextLength: fc.nat({ max: 40 }),
    },
    { requiredKeys: [] },
  ),
)

describe('wire protocol: fuzz', () => {
  it('random bytes decode to a canonical message or a ProtocolError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          // a valid type first, so the fuzz reaches every message's fields
          fc
            .tuple(fc.integer({ min: 1, max: 16 }), fc.uint8Array({ maxLength: 120 }))
            .map(([type, rest]) => Uint8Array.of(type, ...rest)),
        ),
        limitsArb,
        (frame, limits) => {
          decodeChecked(frame, limits)
        },
      ),
      fcParams(runs(3000, 300_000)),
    )
  })

  it('mutated valid frames decode to a canonical message or a ProtocolError', () => {
    const outcomes = new Map<string, number>()
    fc.assert(
      fc.property(
        messageArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        limitsArb,
        (msg, mutations, limits) => {
          const frame = mutations.reduce(mutate, encodeMessage(msg))
          const outcome = decodeChecked(frame, limits)
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
        },
      ),
      fcParams(runs(3000, 300_000)),
    )
    // the mutations reach both sides: some frames still decode, most do not
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0)
    expect(outcomes.get(ProtocolErrorCodes.Truncated) ?? 0).toBeGreaterThan(0)
    expect(outcomes.get(ProtocolErrorCodes.BadFrame) ?? 0).toBeGreaterThan(0)
  })

  it('never takes long on a frame', () => {
    let slowest = 0
    fc.assert(
      fc.property(messageArb, fc.array(mutationArb, { maxLength: 6 }), (msg, mutations) => {
        const frame = mutations.reduce(mutate, encodeMessage(msg))
        const start = performance.now()
        try {
          decodeMessage(frame)
        } catch {
          // only the time matters here
        }
        slowest = Math.max(slowest, performance.now() - start)
      }),
      fcParams(runs(1000, 50_000)),
    )
    expect(slowest).toBeLessThan(50)
  })
})
