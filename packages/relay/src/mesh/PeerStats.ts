/**
 * The figures of one peer relay, kept by its public key for the life of
 * the relay (across reconnects): whether a link is open, how far this
 * relay has caught up with the peer's change sequence (lag), when it last
 * completed a catch-up round, and what the links carried. Read by
 * `/healthz` ({@link PeerHealth}) and `/metrics` (`MeshMetrics`).
 */
import type { PeerCursor } from '../store/RelayStore.js'
import type { LinkDirection } from './LinkHost.js'
import type { PeerCounters } from './MeshMetrics.js'

/** What `/healthz` shows of one peer. */
export interface PeerHealth {
  /** The peer's public key; null for a `--peer` URL that never answered. */
  publicKey: string | null
  /** The peer's name (from its `HELLO`); empty before the first link. */
  name: string
  /** The URL this relay dials it at, when it is a `--peer`. */
  url: string | null
  /** True while a link is open. */
  connected: boolean
  /** Which side opened the open link. */
  direction: LinkDirection | null
  /** The peer's instance epoch, as last seen. */
  epoch: string
  /** The peer's latest change sequence known here. */
  peerSeq: number
  /** The cursor: the peer's sequence up to which everything is stored here. */
  cursor: number
  /** Changes of the peer not caught up yet (`peerSeq - cursor`, or `peerSeq` after an epoch change). */
  lag: number
  /** True while a catch-up round runs. */
  syncing: boolean
  /** When the last catch-up round completed (ISO time), or null. */
  lastSyncAt: string | null
  /** Documents this relay asked the peer about in catch-up rounds (state vectors exchanged). */
  docsSynced: number
  /** Documents the peer asked this relay about. */
  docsServed: number
  /** Documents a catch-up round changed here. */
  docsUpdated: number
  /** Catch-up rounds that started from sequence 0. */
  fullReconciliations: number
  /** Updates received from the peer. */
  updatesIn: number
  /** Updates sent to the peer. */
  updatesOut: number
  /** Live updates dropped because the queue to the peer was full. */
  updatesDropped: number
  /** Presence (awareness) frames received from the peer. */
  awarenessIn: number
  /** Presence frames sent to the peer. */
  awarenessOut: number
  /** Presence frames not sent because the queue to the peer was full. */
  awarenessDropped: number
  /** Bytes received from the peer. */
  bytesIn: number
  /** Bytes sent to the peer. */
  bytesOut: number
  /** The last failure (refusal, unreachable, ...), or null. */
  lastError: string | null
}

/** Countable figures of a peer. */
export type PeerCount =
  | 'docsSynced'
  | 'docsServed'
  | 'docsUpdated'
  | 'fullReconciliations'
  | 'updatesIn'
  | 'updatesOut'
  | 'updatesDropped'
  | 'awarenessIn'
  | 'awarenessOut'
  | 'awarenessDropped'

/** The figures of one peer (see the module comment). */
export class PeerStats {
  /** The peer's public key. */
  readonly publicKey: string
  /** The peer's name. */
  name = ''
  /** The URL it is dialed at, when known. */
  url: string | undefined
  /** True while a link is open. */
  connected = false
  /** Direction of the open link. */
  direction: LinkDirection | undefined
  /** The peer's epoch as last seen. */
  peerEpoch = ''
  /** The peer's latest sequence known (in `peerEpoch`). */
  peerSeq = 0
  /** The stored cursor, once read. */
  cursor: PeerCursor | undefined
  /** True while a catch-up round runs. */
  syncing = false
  /** When the last round completed (ms since the epoch). */
  lastSyncAt: number | undefined
  /** The last failure. */
  lastError: string | undefined
  /** Bytes received. */
  bytesIn = 0
  /** Bytes sent. */
  bytesOut = 0
  readonly #counts: Record<PeerCount, number> = {
    docsSynced: 0,
    docsServed: 0,
    docsUpdated: 0,
    fullReconciliations: 0,
    updatesIn: 0,
    updatesOut: 0,
    updatesDropped: 0,
    awarenessIn: 0,
    awarenessOut: 0,
    awarenessDropped: 0,
  }
  readonly #counters: PeerCounters | undefined

  /**
   * @param publicKey the peer's key
   * @param counters the mesh's counters (none in unit tests)
   */
  constructor(publicKey: string, counters?: PeerCounters) {
    this.publicKey = publicKey
    this.#counters = counters
  }

  /** Adds `n` to a count (and to its metric). */
  add(what: PeerCount, n = 1): void {
    if (n === 0) return
    this.#counts[what] += n
    this.#counters?.[what].inc({ peer: this.publicKey }, n)
  }

  /** The current value of a count. */
  count(what: PeerCount): number {
    return this.#counts[what]
  }

  /** Adds bytes received (`in`) or sent (`out`). */
  addBytes(direction: 'in' | 'out', n: number): void {
    if (direction === 'in') this.bytesIn += n
    else this.bytesOut += n
    this.#counters?.bytes.inc({ peer: this.publicKey, direction }, n)
  }

  /** Counts a finished catch-up round. */
  round(ok: boolean): void {
    this.#counters?.rounds.inc({ peer: this.publicKey, result: ok ? 'ok' : 'failed' })
    if (ok) this.lastSyncAt = Date.now()
  }

  /** Notes a sequence number of the peer (from `HELLO`, `CHANGES` or a live update) in `epoch`. */
  sawSeq(epoch: string, seq: number): void {
    if (epoch !== this.peerEpoch) {
      this.peerEpoch = epoch
      this.peerSeq = seq
    } else if (seq > this.peerSeq) {
      this.peerSeq = seq
    }
  }

  /** Changes of the peer not caught up yet. */
  get lag(): number {
    const cursor = this.cursor
    if (cursor === undefined || cursor.epoch !== this.peerEpoch) return this.peerSeq
    return Math.max(0, this.peerSeq - cursor.seq)
  }

  /** The `/healthz` view. */
  toHealth(): PeerHealth {
    return {
      publicKey: this.publicKey,
      name: this.name,
      url: this.url ?? null,
      connected: this.connected,
      direction: this.direction ?? null,
      epoch: this.peerEpoch,
      peerSeq: this.peerSeq,
      cursor: this.cursor?.epoch === this.peerEpoch ? this.cursor.seq : 0,
      lag: this.lag,
      syncing: this.syncing,
      lastSyncAt: this.lastSyncAt === undefined ? null : new Date(this.lastSyncAt).toISOString(),
      ...this.#counts,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      lastError: this.lastError ?? null,
    }
  }
}
