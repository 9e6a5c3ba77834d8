/**
 * Bounded, strict readers over a lib0 `Decoder`, for untrusted frames.
 *
 * lib0's own readers trust their input: `readUint8` past the end returns
 * `undefined`, `readVarUint` throws plain Errors, accepts non-shortest
 * forms and can return numbers above 2^53, and `readVarString` replaces
 * invalid UTF-8. These readers check every length against the bytes left
 * in the frame and against the limits before they read or allocate, accept
 * only the canonical encoding (so a decoded frame re-encodes to the same
 * bytes), copy byte fields out of the frame (the caller may reuse its
 * buffer), and throw nothing but {@link ProtocolError}.
 *
 * @module
 */
import * as decoding from 'lib0/decoding'
import { ProtocolError, ProtocolErrorCodes } from './ProtocolError.js'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The bytes left to read. */
export function remaining(decoder: decoding.Decoder): number {
  return decoder.arr.length - decoder.pos
}

function truncated(what: string): never {
  throw new ProtocolError(ProtocolErrorCodes.Truncated, `frame ends inside ${what}`)
}

/** Reads a canonical varUint of at most 2^53 - 1. */
export function readUint(decoder: decoding.Decoder, what: string): number {
  const arr = decoder.arr
  let num = 0
  let mult = 1
  for (let i = 0; i < 8; i++) {
    if (decoder.pos >= arr.length) truncated(what)
    const byte = arr[decoder.pos++]!
    num += (byte & 0x7f) * mult
    if (byte < 0x80) {
      if (byte === 0 && i > 0) {
        throw new ProtocolError(
          ProtocolErrorCodes.BadFrame,
          `${what}: varUint not in shortest form`,
        )
      }
      if (num > Number.MAX_SAFE_INTEGER) break
      return num
    }
    mult *= 128
  }
  throw new ProtocolError(ProtocolErrorCodes.BadFrame, `${what}: varUint above 2^53 - 1`)
}

/** Reads exactly `length` bytes, copied out of the frame. */
export function readFixed(decoder: decoding.Decoder, length: number, what: string): Uint8Array {
  if (length > remaining(decoder)) truncated(what)
  return new Uint8Array(decoding.readUint8Array(decoder, length))
}

/** Reads a length-prefixed byte field, copied out of the frame. */
export function readBytes(decoder: decoding.Decoder, what: string): Uint8Array {
  return readFixed(decoder, readUint(decoder, what), what)
}

/** Reads a length-prefixed strict UTF-8 string of at most `maxBytes` bytes. */
export function readString(decoder: decoding.Decoder, maxBytes: number, what: string): string {
  const length = readUint(decoder, what)
  if (length > maxBytes) {
    throw new ProtocolError(
      ProtocolErrorCodes.TooLarge,
      `${what} is ${length} bytes, more than the limit of ${maxBytes}`,
    )
  }
  if (length > remaining(decoder)) truncated(what)
  const bytes = decoding.readUint8Array(decoder, length)
  try {
    return utf8.decode(bytes)
  } catch (cause) {
    throw new ProtocolError(ProtocolErrorCodes.BadFrame, `${what} is not valid UTF-8`, { cause })
  }
}

/** Reads a boolean: one byte, 0 or 1. */
export function readBool(decoder: decoding.Decoder, what: string): boolean {
  if (decoder.pos >= decoder.arr.length) truncated(what)
  const byte = decoder.arr[decoder.pos++]
  if (byte === 0) return false
  if (byte === 1) return true
  throw new ProtocolError(ProtocolErrorCodes.BadFrame, `${what}: boolean byte ${byte}`)
}

/**
 * Reads a list count, refusing more than `maxBatch` items, and more items
 * than the rest of the frame can hold at `minItemBytes` each.
 */
export function readCount(
  decoder: decoding.Decoder,
  maxBatch: number,
  minItemBytes: number,
  what: string,
): number {
  const count = readUint(decoder, what)
  if (count > maxBatch) {
    throw new ProtocolError(
      ProtocolErrorCodes.TooLarge,
      `${what}: ${count} entries, more than the limit of ${maxBatch}`,
    )
  }
  if (count * minItemBytes > remaining(decoder)) truncated(what)
  return count
}

/** Throws `trailing-bytes` unless the whole frame was read. */
export function expectEnd(decoder: decoding.Decoder, what: string): void {
  const left = remaining(decoder)
  if (left !== 0) {
    throw new ProtocolError(
      ProtocolErrorCodes.TrailingBytes,
      `${left} bytes after the end of ${what}`,
    )
  }
}
