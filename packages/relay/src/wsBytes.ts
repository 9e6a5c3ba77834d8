/**
 * The bytes of a message as `ws` delivers it: a Buffer, an ArrayBuffer or
 * an array of fragments, depending on the socket's binary type.
 */

/** The bytes of a `ws` message (a Buffer, an ArrayBuffer or fragments). */
export function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[])
  return new Uint8Array(0)
}
