/** base64url (RFC 4648 §5) without padding, for keys, signatures and ids. */

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const lookup = new Int16Array(128).fill(-1)
for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i

/** Encodes bytes as unpadded base64url. */
export function toBase64url(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out +=
      alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]!
  }
  return out
}

/**
 * Decodes unpadded base64url; returns `null` for any character outside the
 * alphabet or an impossible length, never throws.
 */
export function fromBase64url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null
  const out = new Uint8Array(Math.floor((text.length * 3) / 4))
  let bits = 0
  let value = 0
  let o = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? lookup[c]! : -1
    if (v < 0) return null
    value = (value << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >> bits) & 255
    }
  }
  // Non-canonical trailing bits would let two strings decode to the same bytes.
  if ((value & ((1 << bits) - 1)) !== 0) return null
  return out
}

/** True when `text` is unpadded base64url of exactly `byteLength` bytes. */
export function isBase64urlOf(text: string, byteLength: number): boolean {
  if (text.length !== Math.ceil((byteLength * 4) / 3)) return false
  const bytes = fromBase64url(text)
  return bytes !== null && bytes.length === byteLength
}
