/**
 * The plumbing every raw connection shares: opening a `ws` socket, a
 * bounded close, and failing pending acknowledgements when the socket
 * closes.
 */
import WebSocket from 'ws'
import { withTimeout } from '../clients/BenchClient.js'

/** Opens a WebSocket to `url` (nodebuffer frames, no compression); resolves once open. */
export async function openSocket(url: string, timeoutMs = 15_000): Promise<WebSocket> {
  const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs })
  socket.binaryType = 'nodebuffer'
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    }),
    timeoutMs,
    `connect ${url}`,
  )
  socket.on('error', () => {})
  return socket
}

/** Closes `socket` and waits for the close, terminating it after 2 s. */
export function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.terminate()
      resolve()
    }, 2000)
    timer.unref()
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
    if (socket.readyState === WebSocket.OPEN) socket.close(1000)
    else socket.terminate()
  })
}

/** Acknowledgement waiters that all fail when the socket closes. */
export class AckWaiters<K> {
  readonly #waiting = new Map<K, { resolve: () => void; reject: (error: Error) => void }>()

  /** Waits for `key` to be acknowledged. */
  wait(key: K): Promise<void> {
    return new Promise((resolve, reject) => this.#waiting.set(key, { resolve, reject }))
  }

  /** Acknowledges `key` (no-op when nobody waits for it). */
  resolve(key: K): void {
    const waiter = this.#waiting.get(key)
    if (waiter === undefined) return
    this.#waiting.delete(key)
    waiter.resolve()
  }

  /** Fails `key` with `error`. */
  reject(key: K, error: Error): void {
    const waiter = this.#waiting.get(key)
    if (waiter === undefined) return
    this.#waiting.delete(key)
    waiter.reject(error)
  }

  /** The oldest key waited for (insertion order). */
  first(): K | undefined {
    return this.#waiting.keys().next().value
  }

  /** Fails every waiter. */
  failAll(error: Error): void {
    for (const [key, waiter] of this.#waiting) {
      this.#waiting.delete(key)
      waiter.reject(error)
    }
  }
}
