/**
 * Counting at the client's sockets: a `ws` WebSocket subclass that adds
 * every frame it sends and receives (payload bytes and message counts) to
 * a shared {@link Wire}, and counts the sockets opened. Every client of
 * every system gets it as its WebSocket class.
 */
import WebSocket from 'ws'

/** Traffic seen at a client's sockets. */
export interface Wire {
  /** Sockets opened. */
  sockets: number
  /** Messages sent. */
  sentMessages: number
  /** Payload bytes sent. */
  sentBytes: number
  /** Messages received. */
  receivedMessages: number
  /** Payload bytes received. */
  receivedBytes: number
}

/** A zeroed {@link Wire}. */
export function newWire(): Wire {
  return { sockets: 0, sentMessages: 0, sentBytes: 0, receivedMessages: 0, receivedBytes: 0 }
}

/** Sets every counter of `wire` back to zero. */
export function resetWire(wire: Wire): void {
  Object.assign(wire, newWire())
}

/** Bytes of a frame as `ws` hands it out or is given it. */
function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data)
  if (data instanceof ArrayBuffer) return data.byteLength
  if (ArrayBuffer.isView(data)) return data.byteLength
  if (Array.isArray(data)) return data.reduce((n: number, part: unknown) => n + byteLength(part), 0)
  return 0
}

/** A WebSocket class that counts into `wire`. */
export function countingWebSocket(wire: Wire): new (url: string) => WebSocket {
  return class CountingWebSocket extends WebSocket {
    constructor(address: string) {
      super(address)
      wire.sockets++
      this.on('message', (data: unknown) => {
        wire.receivedMessages++
        wire.receivedBytes += byteLength(data)
      })
      const send = this.send
      const counted = (data: unknown, ...rest: unknown[]): void => {
        wire.sentMessages++
        wire.sentBytes += byteLength(data)
        Reflect.apply(send, this, [data, ...rest])
      }
      this.send = counted as WebSocket['send']
    }
  }
}
