/**
 * The mesh's Prometheus metrics, one series per peer (label `peer`: the
 * peer's public key), registered in the relay's own registry so they show
 * at `GET /metrics` beside the others. Counters are incremented as things
 * happen (through `PeerStats`); gauges are read from the figures of every
 * peer when scraped.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { PeerStats } from './PeerStats.js'

/** The counters of one peer, each labelled by `peer`. */
export interface PeerCounters {
  /** Documents this relay asked the peer about (state vectors exchanged), in catch-up rounds. */
  docsSynced: Counter<'peer'>
  /** Documents the peer asked this relay about. */
  docsServed: Counter<'peer'>
  /** Documents a catch-up round changed here. */
  docsUpdated: Counter<'peer'>
  /** Updates received from the peer (live pushes and catch-up push-backs). */
  updatesIn: Counter<'peer'>
  /** Updates sent to the peer (live pushes and catch-up push-backs). */
  updatesOut: Counter<'peer'>
  /** Live updates not sent because the peer's queue was full (its catch-up fetches them). */
  updatesDropped: Counter<'peer'>
  /** Presence (awareness) frames received from the peer. */
  awarenessIn: Counter<'peer'>
  /** Presence frames sent to the peer. */
  awarenessOut: Counter<'peer'>
  /** Presence frames not sent because the peer's queue was full. */
  awarenessDropped: Counter<'peer'>
  /** Bytes received from and sent to the peer. */
  bytes: Counter<'peer' | 'direction'>
  /** Catch-up rounds that started from sequence 0 (first link, or the peer's epoch changed). */
  fullReconciliations: Counter<'peer'>
  /** Catch-up rounds, by result (`ok`, `failed`). */
  rounds: Counter<'peer' | 'result'>
}

/** The mesh's metrics (see the module comment). */
export class MeshMetrics {
  /** The counters, labelled by peer. */
  readonly counters: PeerCounters

  /**
   * @param registry the relay's registry
   * @param peers the figures of every known peer, read when scraped
   * @param prefix metric name prefix
   */
  constructor(registry: Registry, peers: () => Iterable<PeerStats>, prefix = 'feedmesh_relay_') {
    const registers = [registry]
    const counter = (name: string, help: string) =>
      new Counter({ name: `${prefix}peer_${name}`, help, labelNames: ['peer'], registers })
    this.counters = {
      docsSynced: counter(
        'docs_synced_total',
        'Documents whose state vectors this relay exchanged with the peer in catch-up rounds it ran',
      ),
      docsServed: counter('docs_served_total', 'Documents the peer asked this relay about'),
      docsUpdated: counter(
        'docs_updated_total',
        'Documents a catch-up round with the peer changed here',
      ),
      updatesIn: counter('updates_in_total', 'Updates received from the peer'),
      updatesOut: counter('updates_out_total', 'Updates sent to the peer'),
      updatesDropped: counter(
        'updates_dropped_total',
        'Live updates not sent because the queue to the peer was full',
      ),
      awarenessIn: counter(
        'awareness_in_total',
        'Presence (awareness) frames received from the peer',
      ),
      awarenessOut: counter('awareness_out_total', 'Presence (awareness) frames sent to the peer'),
      awarenessDropped: counter(
        'awareness_dropped_total',
        'Presence (awareness) frames not sent because the queue to the peer was full',
      ),
      bytes: new Counter({
        name: `${prefix}peer_bytes_total`,
        help: 'Bytes exchanged with the peer, by direction (in, out)',
        labelNames: ['peer', 'direction'],
        registers,
      }),
      fullReconciliations: counter(
        'full_reconciliations_total',
        'Catch-up rounds that started from sequence 0 (first link, or a new epoch of the peer)',
      ),
      rounds: new Counter({
        name: `${prefix}peer_rounds_total`,
        help: 'Catch-up rounds with the peer, by result',
        labelNames: ['peer', 'result'],
        registers,
      }),
    }
    const gauge = (name: string, help: string, value: (stats: PeerStats) => number) =>
      new Gauge({
        name: `${prefix}peer_${name}`,
        help,
        labelNames: ['peer'],
        registers,
        collect() {
          this.reset()
          for (const stats of peers()) this.set({ peer: stats.publicKey }, value(stats))
        },
      })
    gauge('connected', '1 when a link to the peer is open', (s) => (s.connected ? 1 : 0))
    gauge('lag', 'Changes of the peer not yet caught up (peer sequence minus cursor)', (s) => s.lag)
    gauge(
      'last_sync_timestamp_seconds',
      'When the last catch-up round with the peer completed (0: never)',
      (s) => (s.lastSyncAt === undefined ? 0 : s.lastSyncAt / 1000),
    )
  }
}
