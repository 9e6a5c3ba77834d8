/**
 * The relay's side of the mesh: the links to its peer relays, one dialer
 * per `--peer` URL, the trusted keys, and the figures of each peer.
 *
 * - Links come from both ends: a dialer opens one to each `--peer` URL;
 *   a peer dialing in arrives on the client endpoint with a relay `HELLO`
 *   and is handed here ({@link Mesh.accept}). Either way the link carries
 *   changes both ways (see `PeerLink.ts`).
 * - One link per peer: when two relays list each other, both dial, and two
 *   links to the same key can open. The mesh keeps the one dialed by the
 *   relay with the smaller public key and closes the other with 4005
 *   (`Replaced`): both ends apply the same rule, so they keep the same
 *   link. The dialer whose link was replaced waits while the kept link is
 *   open and dials again only when it is gone.
 * - Every change the relay stores (from a client or a peer) is pushed to
 *   every open link but the one it came from ({@link Mesh.stored}), and
 *   noted in the echo filter (`EchoIndex.ts`), so that a peer's catch-up
 *   does not list again the documents whose changes it sent itself.
 * - Presence (awareness) is soft state: never stored, never caught up.
 *   What a local client sends (checked by its session against its user:
 *   `awarenessCheck.ts`) goes to every open link; what a peer sends is
 *   delivered to this relay's subscribers of the document and forwarded
 *   to every other open link. Each relay passes an entry (awareness client
 *   id and clock) on once (`AwarenessFilter.ts`), so chains reach every
 *   relay and cycles stop after one round; a local client's removal of a
 *   client id whose latest state named another user is dropped.
 */
import { CloseCodes, type DocId, isDocId, type RelayHello } from '@feedmesh/core'
import type { WebSocket } from 'ws'
import {
  type AwarenessEntry,
  decodeAwarenessEntries,
  encodeAwarenessEntries,
  isRemoval,
} from '../awarenessEntries.js'
import type { RelayContext } from '../RelayContext.js'
import type { MeshOptions } from '../relayOptions.js'
import type { StoredChange } from '../UpdatePipeline.js'
import { AwarenessFilter } from './AwarenessFilter.js'
import { EchoIndex } from './EchoIndex.js'
import { LinkDirections, type LinkHost, type LinkInfo } from './LinkHost.js'
import { MeshMetrics } from './MeshMetrics.js'
import { type DialerHost, PeerDialer } from './PeerDialer.js'
import { PeerLink } from './PeerLink.js'
import { type PeerHealth, PeerStats } from './PeerStats.js'

/** What a mesh is built from. */
export interface MeshInit {
  /** The relay's shared state. */
  ctx: RelayContext
  /** Peer URLs to dial. */
  peers: readonly string[]
  /** Trusted peer keys. */
  trust: readonly string[]
  /** Mesh tuning. */
  options: MeshOptions
}

/** The relay's links to its peers (see the module comment). */
export class Mesh implements LinkHost, DialerHost {
  readonly #ctx: RelayContext
  readonly #trust: ReadonlySet<string>
  readonly #options: MeshOptions
  readonly #stats = new Map<string, PeerStats>()
  readonly #links = new Set<PeerLink>()
  readonly #open = new Map<string, PeerLink>()
  readonly #dialers: PeerDialer[]
  readonly #metrics: MeshMetrics
  readonly #echoes = new EchoIndex()
  readonly #awareness = new AwarenessFilter()
  #closing = false

  /** @param init context, peers, trusted keys, tuning */
  constructor(init: MeshInit) {
    this.#ctx = init.ctx
    this.#trust = new Set(init.trust)
    this.#options = init.options
    this.#metrics = new MeshMetrics(init.ctx.metrics.registry, () => this.#stats.values())
    for (const key of this.#trust) this.statsFor(key)
    this.#dialers = [...new Set(init.peers)].map(
      (url) => new PeerDialer(url, init.ctx, this, init.options),
    )
  }

  /** True when the relay has peers or trusted keys (then `/healthz` lists its peers). */
  get configured(): boolean {
    return this.#dialers.length > 0 || this.#trust.size > 0
  }

  /** Starts dialing every `--peer`. */
  start(): void {
    for (const dialer of this.#dialers) dialer.start()
  }

  /**
   * Takes over a connection whose first frame was a relay's `HELLO`, on
   * which this relay sent a `CHALLENGE` with `nonce`; returns where the
   * frames already read after the `HELLO` go.
   */
  accept(
    socket: WebSocket,
    hello: RelayHello,
    remote: string,
    nonce: Uint8Array,
  ): (bytes: Uint8Array) => void {
    if (this.#closing) {
      socket.close(CloseCodes.GoingAway, 'the relay is going away')
      return () => undefined
    }
    const link = new PeerLink({
      ctx: this.#ctx,
      host: this,
      options: this.#options,
      socket,
      direction: LinkDirections.Accepted,
      remote,
      nonce,
    })
    this.#links.add(link)
    link.start(hello)
    return (bytes) => link.receive(bytes)
  }

  /** {@inheritDoc DialerHost.link} */
  link(socket: WebSocket, url: string): PeerLink {
    const link = new PeerLink({
      ctx: this.#ctx,
      host: this,
      options: this.#options,
      socket,
      direction: LinkDirections.Dialed,
      remote: url,
      url,
    })
    this.#links.add(link)
    return link
  }

  /** {@inheritDoc LinkHost.trusts} */
  trusts(key: string): boolean {
    return this.#trust.has(key)
  }

  /** {@inheritDoc LinkHost.statsFor} */
  statsFor(key: string): PeerStats {
    let stats = this.#stats.get(key)
    if (stats === undefined) {
      stats = new PeerStats(key, this.#metrics.counters)
      this.#stats.set(key, stats)
    }
    return stats
  }

  /** {@inheritDoc LinkHost.opened} */
  opened(link: LinkInfo): boolean {
    const key = link.peerId
    if (key === undefined || this.#closing) {
      link.close(CloseCodes.GoingAway, 'the relay is going away')
      return false
    }
    const existing = this.#open.get(key)
    if (existing === undefined || existing === link) {
      this.#open.set(key, link as PeerLink)
      return true
    }
    const dialerOf = (l: LinkInfo) =>
      l.direction === LinkDirections.Dialed ? this.#ctx.identity.userId : key
    const keepNew = dialerOf(link) !== dialerOf(existing) && dialerOf(link) < dialerOf(existing)
    if (keepNew) {
      this.#open.set(key, link as PeerLink)
      existing.close(CloseCodes.Replaced, 'another link to this peer is kept')
      return true
    }
    link.close(CloseCodes.Replaced, 'another link to this peer is kept')
    return false
  }

  /** {@inheritDoc LinkHost.ended} */
  ended(link: LinkInfo): void {
    this.#links.delete(link as PeerLink)
    const key = link.peerId
    if (key === undefined || this.#open.get(key) !== link) return
    this.#open.delete(key)
    const stats = this.#stats.get(key)
    if (stats !== undefined) {
      stats.connected = false
      stats.direction = undefined
      stats.syncing = false
    }
  }

  /** {@inheritDoc DialerHost.hasOpenLink} */
  hasOpenLink(key: string): boolean {
    return this.#open.has(key)
  }

  /**
   * A change was stored: it is pushed to every open link except the one it
   * came from, and noted in the echo filter.
   */
  stored(change: StoredChange): void {
    const { docId, diff, seq, previousSeq, source } = change
    const peer = source instanceof PeerLink ? source.peerId : undefined
    this.#echoes.record(docId, seq, previousSeq, peer)
    if (diff === null) return
    for (const link of this.#open.values()) {
      if (link !== source) link.push(docId, diff, seq)
    }
  }

  /** {@inheritDoc LinkHost.isEcho} */
  isEcho(peer: string, docId: string, seq: number, since: number): boolean {
    return this.#echoes.isEcho(peer, docId, seq, since)
  }

  /** {@inheritDoc LinkHost.forgetEchoes} */
  forgetEchoes(peer: string): void {
    this.#echoes.forget(peer)
  }

  /**
   * Presence of a local client of `userId`, checked by its session: drops
   * removals of another user's client id, passes what is new here to every
   * open link, and returns the entries to deliver to local subscribers.
   */
  shareAwareness(
    docId: DocId,
    entries: readonly AwarenessEntry[],
    userId: string,
  ): AwarenessEntry[] {
    const filter = this.#awareness
    const allowed = entries.filter(
      (entry) => !isRemoval(entry) || filter.mayRemove(docId, entry.clientId, userId),
    )
    const fresh = filter.fresh(docId, allowed)
    if (fresh.length > 0 && this.#open.size > 0) {
      const payload = encodeAwarenessEntries(fresh)
      for (const link of this.#open.values()) link.pushAwareness(docId, payload)
    }
    return allowed
  }

  /** {@inheritDoc LinkHost.awareness} */
  awareness(from: LinkInfo, docId: DocId, payload: Uint8Array): void {
    if (!isDocId(docId)) return
    let entries: AwarenessEntry[]
    try {
      entries = decodeAwarenessEntries(payload)
    } catch (error) {
      this.#ctx.logger.debug({ err: error, docId, peer: from.peerId }, 'bad presence from a peer')
      return
    }
    const fresh = this.#awareness.fresh(docId, entries)
    if (fresh.length === 0) return
    const passed = fresh.length === entries.length ? payload : encodeAwarenessEntries(fresh)
    for (const subscriber of this.#ctx.registry.subscribersOf(docId)) {
      subscriber.deliverAwareness(docId, passed)
    }
    for (const link of this.#open.values()) {
      if (link !== from) link.pushAwareness(docId, passed)
    }
  }

  /** Every peer as `/healthz` shows it: trusted keys, peers seen, and `--peer` URLs never answered. */
  health(): PeerHealth[] {
    const peers = [...this.#stats.values()].map((stats) => stats.toHealth())
    for (const dialer of this.#dialers) {
      const state = dialer.state
      if (state.publicKey !== undefined && this.#stats.has(state.publicKey)) {
        const entry = peers.find((p) => p.publicKey === state.publicKey)
        if (entry !== undefined) {
          entry.url ??= state.url
          if (!entry.connected) entry.lastError ??= state.lastError ?? null
        }
        continue
      }
      peers.push({
        ...new PeerStats('').toHealth(),
        publicKey: state.publicKey ?? null,
        url: state.url,
        lastError: state.lastError ?? null,
      })
    }
    return peers
  }

  /** Stops dialing and closes every link with 1001 (going away). */
  async close(): Promise<void> {
    this.#closing = true
    const stopped = Promise.all(this.#dialers.map((dialer) => dialer.stop()))
    const links = [...this.#links]
    for (const link of links) link.close(CloseCodes.GoingAway, 'the relay is going away')
    await Promise.race([
      Promise.all([stopped, ...links.map((link) => link.ended)]),
      new Promise((resolve) => setTimeout(resolve, 3000).unref()),
    ])
  }
}
