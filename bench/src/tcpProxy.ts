/**
 * A TCP proxy for the benchmark (node:net): it listens on 127.0.0.1 port 0
 * and forwards every connection to a target, optionally delaying every
 * chunk by `delayMs` in each direction (order kept), like a long-distance
 * link: 40 ms each way is an 80 ms round trip. `cut()` destroys the live
 * connections and refuses new ones (a partition); `restore()` forwards
 * again. Counts bytes both ways.
 *
 * `connectRoundTrip: true` also charges the TCP handshake the proxy itself
 * answers at once: what a client sends is held until one round trip after
 * it connected, as on a real link (SYN, SYN-ACK, then data).
 *
 * Round trips: every chunk gets a depth, the number of request→response
 * round trips in its causal chain on its connection. A chunk from the
 * client is one deeper than the deepest chunk delivered to the client
 * before it (the handshake counts as the first when charged); a chunk from
 * the target is as deep as the deepest chunk delivered to the target
 * before it. `roundTrips()` is the deepest chunk delivered to any client
 * since the last `resetCounts`: read right after a client finished, it
 * says how many round trips it waited for.
 */
import net from 'node:net'

/** A running proxy. */
export interface BenchProxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number
  /** `ws://127.0.0.1:<port>`. */
  readonly url: string
  /** Bytes moved client → target and target → client since the start (or `resetCounts`). */
  readonly bytes: { up: number; down: number }
  /** Zeroes the byte counts and {@link BenchProxy.roundTrips}. */
  resetCounts(): void
  /** The deepest round-trip chain delivered to a client since the start or `resetCounts` (see the module comment). */
  roundTrips(): number
  /** Destroys live connections and refuses new ones. */
  cut(): void
  /** Forwards new connections again. */
  restore(): void
  /** Stops listening and destroys every connection. */
  close(): Promise<void>
}

/** Options of {@link startProxy}. */
export interface ProxyOptions {
  /** Delay added to every chunk in each direction, ms (default 0). */
  delayMs?: number
  /** Target host (default 127.0.0.1). */
  host?: string
  /** Charge the TCP handshake one round trip (default false; see the module comment). */
  connectRoundTrip?: boolean
}

/** What one direction of a connection forwards: chunks (with their depth) and the end. */
type Item = { chunk: Buffer; depth: number } | { end: true }

/** Forwards items in order, each at its due time. */
class DelayLine {
  readonly #queue: { due: number; item: Item }[] = []
  #timer: ReturnType<typeof setTimeout> | undefined
  constructor(readonly deliver: (item: Item) => void) {}
  push(due: number, item: Item): void {
    this.#queue.push({ due, item })
    this.#schedule()
  }
  #schedule(): void {
    const head = this.#queue[0]
    if (head === undefined || this.#timer !== undefined) return
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        const now = performance.now()
        while (this.#queue.length > 0 && this.#queue[0]!.due <= now + 1) {
          this.deliver(this.#queue.shift()!.item)
        }
        this.#schedule()
      },
      Math.max(0, head.due - performance.now()),
    )
  }
  clear(): void {
    clearTimeout(this.#timer)
    this.#queue.length = 0
  }
}

/** Starts a proxy to `targetPort` (see the module comment). */
export async function startProxy(
  targetPort: number,
  options: ProxyOptions = {},
): Promise<BenchProxy> {
  const delayMs = options.delayMs ?? 0
  const host = options.host ?? '127.0.0.1'
  const handshake = options.connectRoundTrip === true ? 1 : 0
  const bytes = { up: 0, down: 0 }
  let deepest = 0
  let cut = false
  const live = new Set<net.Socket>()
  const server = net.createServer((client) => {
    client.on('error', () => {})
    if (cut) {
      client.destroy()
      return
    }
    const openedAt = performance.now()
    client.setNoDelay(true)
    const upstream = net.connect(targetPort, host)
    upstream.setNoDelay(true)
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    live.add(client)
    live.add(upstream)
    // depth of the deepest chunk delivered to each side so far
    let deliveredDown = handshake
    let deliveredUp = handshake
    const toUpstream = new DelayLine((item) => {
      if ('end' in item) return upstream.end()
      deliveredUp = Math.max(deliveredUp, item.depth)
      if (!upstream.destroyed) upstream.write(item.chunk)
    })
    const toClient = new DelayLine((item) => {
      if ('end' in item) return client.end()
      deliveredDown = Math.max(deliveredDown, item.depth)
      deepest = Math.max(deepest, item.depth)
      if (!client.destroyed) client.write(item.chunk)
    })
    // with the handshake charged, nothing the client sends leaves before the SYN-ACK came back
    const upDue = () => Math.max(performance.now(), openedAt + 2 * delayMs * handshake) + delayMs
    const send = (line: DelayLine, due: number, item: Item) => {
      if (delayMs === 0 && handshake === 0) line.deliver(item)
      else line.push(due, item)
    }
    client.on('data', (chunk: Buffer) => {
      bytes.up += chunk.length
      send(toUpstream, upDue(), { chunk, depth: deliveredDown + 1 })
    })
    client.on('end', () => send(toUpstream, upDue(), { end: true }))
    upstream.on('data', (chunk: Buffer) => {
      bytes.down += chunk.length
      send(toClient, performance.now() + delayMs, { chunk, depth: deliveredUp })
    })
    upstream.on('end', () => send(toClient, performance.now() + delayMs, { end: true }))
    const forget = () => {
      live.delete(client)
      live.delete(upstream)
      toUpstream.clear()
      toClient.clear()
      client.destroy()
      upstream.destroy()
    }
    client.on('close', forget)
    upstream.on('close', forget)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port
  let closing: Promise<void> | undefined
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    bytes,
    resetCounts() {
      bytes.up = 0
      bytes.down = 0
      deepest = 0
    },
    roundTrips: () => deepest,
    cut() {
      cut = true
      for (const socket of live) socket.destroy()
      live.clear()
    },
    restore() {
      cut = false
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
}
