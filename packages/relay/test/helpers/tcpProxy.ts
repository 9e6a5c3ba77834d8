/**
 * A TCP proxy for partition tests (node:net, no mocks): it listens on
 * 127.0.0.1 port 0 and forwards every connection to a target. `cut()`
 * destroys the live connections and refuses new ones (they are accepted
 * and destroyed at once, like a network that drops everything);
 * `restore()` forwards again. `pause()` keeps the connections open but
 * stops moving bytes (a black hole: a peer that is slow or hung, not
 * gone); `resume()` moves them again. Relays dial each other through
 * proxies, so a test partitions and heals a mesh by cutting and restoring
 * them. The proxy is closed at the end of the current test (when made
 * inside one).
 */
import net from 'node:net'
import { onTestFinished } from 'vitest'

/** A running proxy. */
export interface TcpProxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number
  /** `ws://127.0.0.1:<port>`: the URL to give a relay as `--peer`. */
  readonly url: string
  /** True while cut. */
  readonly isCut: boolean
  /** Connections forwarded so far. */
  readonly forwarded: number
  /** Destroys live connections and refuses new ones. */
  cut(): void
  /** Forwards new connections again. */
  restore(): void
  /** Stops moving bytes on every connection (they stay open). */
  pause(): void
  /** Moves bytes again. */
  resume(): void
  /** Changes where new connections go (e.g. a relay restarted on another port). */
  retarget(port: number, host?: string): void
  /** Stops listening and destroys every connection. */
  close(): Promise<void>
}

/** Starts a proxy to `targetHost:targetPort` (see the module comment). */
export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<TcpProxy> {
  let target = { port: targetPort, host: targetHost }
  let cut = false
  let forwarded = 0
  let paused = false
  const live = new Set<net.Socket>()
  const pairs = new Set<[net.Socket, net.Socket]>()
  const connect = (client: net.Socket, upstream: net.Socket) => {
    client.pipe(upstream)
    upstream.pipe(client)
  }
  const disconnect = (client: net.Socket, upstream: net.Socket) => {
    client.unpipe(upstream)
    upstream.unpipe(client)
    client.pause()
    upstream.pause()
  }
  const server = net.createServer((client) => {
    client.on('error', () => {})
    if (cut) {
      client.destroy()
      return
    }
    forwarded++
    const upstream = net.connect(target.port, target.host)
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    live.add(client)
    live.add(upstream)
    const pair: [net.Socket, net.Socket] = [client, upstream]
    pairs.add(pair)
    const forget = () => {
      live.delete(client)
      live.delete(upstream)
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('close', forget)
    upstream.on('close', forget)
    if (paused) disconnect(client, upstream)
    else connect(client, upstream)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port
  let closing: Promise<void> | undefined
  const proxy: TcpProxy = {
    port,
    url: `ws://127.0.0.1:${port}`,
    get isCut() {
      return cut
    },
    get forwarded() {
      return forwarded
    },
    cut() {
      cut = true
      for (const socket of live) socket.destroy()
      live.clear()
    },
    restore() {
      cut = false
    },
    pause() {
      paused = true
      for (const [client, upstream] of pairs) disconnect(client, upstream)
    },
    resume() {
      paused = false
      for (const [client, upstream] of pairs) connect(client, upstream)
    },
    retarget(newPort, host = '127.0.0.1') {
      target = { port: newPort, host }
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        cut = true
        for (const socket of live) socket.destroy()
        live.clear()
        server.close(() => resolve())
      })
      return closing
    },
  }
  try {
    onTestFinished(() => proxy.close())
  } catch {
    // not inside a test: the caller closes it
  }
  return proxy
}
