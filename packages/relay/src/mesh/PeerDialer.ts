/**
 * Keeps one `--peer` URL linked: dials it, runs the link until it ends,
 * and dials again after a delay: exponential backoff with jitter while the
 * peer is unreachable (reset once a link opened), the longest delay after
 * a refusal (untrusted key, failed authentication, other protocol
 * version: an operator has to act, the relay keeps trying slowly so a
 * fixed configuration heals by itself) or after the mesh kept another link
 * to the same peer (`Replaced`). While the mesh has an open link to the
 * peer this URL leads to (opened by the peer), the dialer only waits.
 */
import { CloseCodes, shouldReconnect } from '@feedmesh/core'
import type { Logger } from 'pino'
import WebSocket from 'ws'
import type { RelayContext } from '../RelayContext.js'
import type { MeshOptions } from '../relayOptions.js'
import { backoffDelay } from './backoff.js'
import type { LinkEnd, PeerLink } from './PeerLink.js'

/** What a dialer needs from the mesh. */
export interface DialerHost {
  /** True when an open link to the peer with this key exists. */
  hasOpenLink(key: string): boolean
  /** Builds a link over a freshly opened socket (the mesh tracks it). */
  link(socket: WebSocket, url: string): PeerLink
}

/** What `/healthz` shows of a dialer whose peer never answered. */
export interface DialerState {
  /** The URL. */
  url: string
  /** The peer's key, once a handshake got that far. */
  publicKey: string | undefined
  /** The last failure, if any. */
  lastError: string | undefined
}

/** One `--peer` URL kept linked (see the module comment). */
export class PeerDialer {
  /** The URL dialed. */
  readonly url: string
  readonly #ctx: RelayContext
  readonly #host: DialerHost
  readonly #options: MeshOptions
  readonly #log: Logger
  #stopped = false
  #wake: (() => void) | undefined
  #timer: NodeJS.Timeout | undefined
  #socket: WebSocket | undefined
  #link: PeerLink | undefined
  #peerId: string | undefined
  #lastError: string | undefined
  #loop: Promise<void> | undefined

  /**
   * @param url the peer's WebSocket URL
   * @param ctx the relay's shared state
   * @param host the mesh
   * @param options mesh tuning
   */
  constructor(url: string, ctx: RelayContext, host: DialerHost, options: MeshOptions) {
    this.url = url
    this.#ctx = ctx
    this.#host = host
    this.#options = options
    this.#log = ctx.logger.child({ peerUrl: url })
  }

  /** What `/healthz` shows. */
  get state(): DialerState {
    const open = this.#link?.peerId
    return {
      url: this.url,
      publicKey: open ?? this.#peerId,
      lastError: open === undefined ? this.#lastError : undefined,
    }
  }

  /** Starts dialing. */
  start(): void {
    this.#loop ??= this.#run()
  }

  /** Stops dialing and closes the current link with `code`; resolves once the loop ended. */
  async stop(code: number = CloseCodes.GoingAway): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#wake?.()
    this.#link?.close(code, 'the relay is going away')
    if (this.#link === undefined && this.#socket !== undefined) this.#socket.terminate()
    await this.#loop
  }

  async #run(): Promise<void> {
    let attempt = 0
    while (!this.#stopped) {
      const { retryMinMs, retryMaxMs } = this.#options
      if (this.#peerId !== undefined && this.#host.hasOpenLink(this.#peerId)) {
        await this.#sleep(retryMaxMs)
        continue
      }
      const end = await this.#dialOnce()
      if (this.#stopped) return
      const key = end.peerId ?? end.claimedId
      if (key !== undefined) this.#peerId = key
      let delay: number
      if (end.opened) attempt = 0
      if (end.code === CloseCodes.Replaced) {
        this.#log.debug('the mesh keeps another link to this peer')
        delay = retryMaxMs
      } else if (end.code > 0 && !shouldReconnect(end.code)) {
        this.#lastError = `refused (${end.code} ${end.reason})`
        this.#log.error(
          { code: end.code, reason: end.reason },
          `peer link refused: check --trust on both relays; retrying in ${retryMaxMs} ms`,
        )
        delay = retryMaxMs
      } else {
        delay = backoffDelay(attempt++, retryMinMs, retryMaxMs)
      }
      await this.#sleep(delay)
    }
  }

  /** Dials once; resolves when the link (or the attempt) ended. */
  async #dialOnce(): Promise<LinkEnd> {
    const socket = new WebSocket(this.url, {
      handshakeTimeout: 10_000,
      maxPayload: this.#ctx.limits.maxFrameBytes,
      perMessageDeflate: false,
    })
    this.#socket = socket
    // the peer's CHALLENGE comes with the upgrade's answer, before the link exists: keep it
    const early: { data: unknown; isBinary: boolean }[] = []
    const keep = (data: unknown, isBinary: boolean) => early.push({ data, isBinary })
    socket.on('message', keep)
    try {
      const opened = await new Promise<boolean>((resolve) => {
        socket.once('open', () => resolve(true))
        socket.once('error', (error) => {
          this.#lastError = `unreachable: ${error.message}`
          this.#log.debug({ err: error }, 'cannot reach the peer')
          resolve(false)
        })
        socket.once('close', () => resolve(false))
      })
      if (!opened || this.#stopped) {
        socket.terminate()
        return {
          code: -1,
          reason: 'unreachable',
          peerId: undefined,
          claimedId: undefined,
          opened: false,
        }
      }
      socket.on('error', () => {})
      const link = this.#host.link(socket, this.url)
      socket.off('message', keep)
      for (const { data, isBinary } of early) link.receive(data, isBinary)
      this.#link = link
      link.start()
      const end = await link.ended
      if (!end.opened && end.code !== CloseCodes.Replaced && this.#lastError === undefined) {
        this.#lastError = `closed during the handshake (${end.code} ${end.reason})`
      }
      if (end.opened) this.#lastError = undefined
      return end
    } finally {
      this.#link = undefined
      this.#socket = undefined
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stopped) return resolve()
      this.#wake = () => {
        clearTimeout(this.#timer)
        this.#wake = undefined
        resolve()
      }
      this.#timer = setTimeout(() => this.#wake?.(), ms)
      this.#timer.unref()
    })
  }
}
