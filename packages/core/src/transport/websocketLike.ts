/**
 * The part of a WebSocket that `WebSocketTransport` uses, typed so that both
 * the browser's global `WebSocket` and the `ws` package's class fit without
 * a cast, and the helpers that smooth over their differences:
 *
 * - received binary data: an `ArrayBuffer` with `binaryType = 'arraybuffer'`
 *   (browsers and `ws`), or a view (`Buffer`) from implementations that
 *   ignore `binaryType`; a string is a text frame;
 * - closing: browsers accept only code 1000 and 3000-4999 from script (other
 *   codes throw `InvalidAccessError`) and both throw on a reason longer than
 *   123 UTF-8 bytes; {@link closeSocket} never throws, and falls back to a
 *   close without a code when the code is refused;
 * - `ws` (Node) keeps a socket whose peer is gone for its 30-second closing
 *   handshake; {@link dropSocket} uses its `terminate()` when there is one.
 *
 * No Node import here: this module runs in browsers.
 *
 * @module
 */

/**
 * A function type whose parameter is checked bivariantly, so a socket whose
 * handlers take a richer event type (`ws`'s `MessageEvent`, the DOM's) is
 * assignable to {@link WebSocketLike}.
 */
type Listener<E> = { bivariance(event: E): void }['bivariance']

/** The fields of a `message` event the transport reads. */
export interface SocketMessageEvent {
  /** An `ArrayBuffer` for binary frames (with `binaryType = 'arraybuffer'`), a string for text frames. */
  readonly data: unknown
}

/** The fields of a `close` event the transport reads. */
export interface SocketCloseEvent {
  /** The close code (1005 when none was sent, 1006 when the connection dropped). */
  readonly code: number
  /** The close reason the other side sent. */
  readonly reason: string
}

/** The WebSocket members the transport uses; the browser's `WebSocket` and `ws`'s class both fit. */
export interface WebSocketLike {
  /** Set to `'arraybuffer'` by the transport. */
  binaryType: string
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number
  /** Called once the connection is open. */
  onopen: Listener<unknown> | null
  /** Called for every frame. */
  onmessage: Listener<SocketMessageEvent> | null
  /** Called once the connection is closed. */
  onclose: Listener<SocketCloseEvent> | null
  /** Called when the connection fails (`ws` passes an event with a `message`; browsers a bare `Event`). */
  onerror: Listener<unknown> | null
  /** Sends one binary frame. */
  send(data: Uint8Array): void
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void
}

/** A WebSocket class: `globalThis.WebSocket` in browsers, `WebSocket` from `ws` in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike

/** The `message` of an `error` event where there is one (`ws`), else `undefined`. */
export function errorMessage(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined
  const message: unknown = Reflect.get(event, 'message')
  return typeof message === 'string' && message !== '' ? message : undefined
}

/** `readyState` of an open socket. */
export const SOCKET_OPEN = 1

/** The bytes of a binary frame, or `null` for a text frame (or anything else). */
export function frameBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (Array.isArray(data) && data.every((part) => ArrayBuffer.isView(part))) {
    // `ws` with binaryType 'fragments': concatenate.
    const parts = data as ArrayBufferView[]
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
    let at = 0
    for (const p of parts) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at)
      at += p.byteLength
    }
    return out
  }
  return null
}

const maxReasonBytes = 123

/** `reason` cut to what a close frame may carry (123 UTF-8 bytes), on a character boundary. */
export function closeReason(reason: string): string {
  const encoder = new TextEncoder()
  if (encoder.encode(reason).length <= maxReasonBytes) return reason
  let cut = ''
  for (const ch of reason) {
    if (encoder.encode(cut + ch).length > maxReasonBytes) break
    cut += ch
  }
  return cut
}

/**
 * Closes `socket` with `code` and `reason`, never throwing: a code that the
 * implementation refuses (browsers refuse 1002, 1003, 1009 ... from script)
 * falls back to a close without a code.
 */
export function closeSocket(socket: WebSocketLike, code: number, reason: string): void {
  try {
    socket.close(code, closeReason(reason))
  } catch {
    try {
      socket.close()
    } catch {
      // Already closed.
    }
  }
}

/**
 * Drops a connection whose peer is presumed dead: `terminate()` where the
 * implementation has it (`ws`: destroys the TCP socket at once instead of
 * waiting 30 s for a closing handshake that cannot come), otherwise
 * {@link closeSocket}.
 */
export function dropSocket(socket: WebSocketLike, code: number, reason: string): void {
  const terminate: unknown = Reflect.get(socket, 'terminate')
  if (typeof terminate === 'function') {
    try {
      terminate.call(socket)
      return
    } catch {
      // Fall through to a normal close.
    }
  }
  closeSocket(socket, code, reason)
}
