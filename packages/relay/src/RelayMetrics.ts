/**
 * The relay's Prometheus metrics, in a registry of its own (so several
 * relays in one process never share counters), served at `GET /metrics`.
 *
 * What is sent to subscribers is counted on the hot path of every
 * delivery (a fan-out to a thousand subscribers counts a thousand times):
 * {@link RelayMetrics.countUpdateOut} and {@link RelayMetrics.countBytesOut}
 * only add to plain numbers, which the counters take in when `/metrics` is
 * read (prom-client's `collect`).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** Which endpoint a connection or an update came through. */
export const Endpoints = {
  /** The feedmesh protocol at `/`. */
  Feedmesh: 'feedmesh',
  /** The y-websocket compatibility endpoint `/y/<docId>`. */
  YWebsocket: 'y-websocket',
  /** Links with peer relays (updates they carry). */
  Mesh: 'mesh',
} as const

/** One of {@link Endpoints}. */
export type Endpoint = (typeof Endpoints)[keyof typeof Endpoints]

/** Sends counted but not yet added to the Prometheus counters. */
interface PendingOut {
  updates: Record<Endpoint, number>
  bytes: number
}

/** The metrics of one relay. */
export class RelayMetrics {
  /** The registry `/metrics` serializes. */
  readonly registry = new Registry()
  /** Open WebSocket connections, by endpoint. */
  readonly connections: Gauge<'endpoint'>
  /** Documents loaded in memory. */
  readonly documentsLoaded: Gauge
  /** Loaded documents that are hot: they hold a Y.Doc replica (a write needed it); the others are encoded state only. */
  readonly documentsHot: Gauge
  /** Times a loaded document's Y.Doc replica was built (it became hot for a write). */
  readonly documentsMaterialized: Counter
  /** Updates received from connections, by endpoint and result (`stored`, `known`, `refused`, `rate-limited`, `failed`). */
  readonly updatesIn: Counter<'endpoint' | 'result'>
  /** Updates sent to subscribers (live forwards), by endpoint. */
  readonly updatesOut: Counter<'endpoint'>
  /** Refused updates, by guard rule (or relay error code). */
  readonly refused: Counter<'rule'>
  /** Bytes received in WebSocket messages. */
  readonly bytesIn: Counter
  /** Bytes sent in WebSocket messages. */
  readonly bytesOut: Counter
  /** Seconds from an update's arrival to its `ACK` (guard, apply, durable commit). */
  readonly ackLatency: Histogram
  /** Frames that did not decode, by protocol error code. */
  readonly badFrames: Counter<'code'>
  readonly #pendingOut: PendingOut = {
    updates: { [Endpoints.Feedmesh]: 0, [Endpoints.YWebsocket]: 0, [Endpoints.Mesh]: 0 },
    bytes: 0,
  }

  /** @param prefix metric name prefix */
  constructor(prefix = 'feedmesh_relay_') {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix })
    this.connections = new Gauge({
      name: `${prefix}connections`,
      help: 'Open WebSocket connections',
      labelNames: ['endpoint'],
      registers,
    })
    this.documentsLoaded = new Gauge({
      name: `${prefix}documents_loaded`,
      help: 'Documents loaded in memory',
      registers,
    })
    this.documentsHot = new Gauge({
      name: `${prefix}documents_hot`,
      help: 'Loaded documents holding a Y.Doc replica (written recently); the others are encoded state only',
      registers,
    })
    this.documentsMaterialized = new Counter({
      name: `${prefix}documents_materialized_total`,
      help: 'Times a loaded document built its Y.Doc replica for a write',
      registers,
    })
    this.updatesIn = new Counter({
      name: `${prefix}updates_in_total`,
      help: 'Updates received from connections, by result',
      labelNames: ['endpoint', 'result'],
      registers,
    })
    const pending = this.#pendingOut
    this.updatesOut = new Counter({
      name: `${prefix}updates_out_total`,
      help: 'Live updates sent to subscribers',
      labelNames: ['endpoint'],
      registers,
      collect() {
        for (const endpoint of Object.values(Endpoints)) {
          const n = pending.updates[endpoint]
          if (n === 0) continue
          pending.updates[endpoint] = 0
          this.inc({ endpoint }, n)
        }
      },
    })
    this.refused = new Counter({
      name: `${prefix}updates_refused_total`,
      help: 'Refused updates, by guard rule or relay error code',
      labelNames: ['rule'],
      registers,
    })
    this.bytesIn = new Counter({
      name: `${prefix}bytes_in_total`,
      help: 'Bytes received in WebSocket messages',
      registers,
    })
    this.bytesOut = new Counter({
      name: `${prefix}bytes_out_total`,
      help: 'Bytes sent in WebSocket messages',
      registers,
      collect() {
        if (pending.bytes === 0) return
        this.inc(pending.bytes)
        pending.bytes = 0
      },
    })
    this.ackLatency = new Histogram({
      name: `${prefix}ack_latency_seconds`,
      help: 'Seconds from the arrival of an update to its durable acknowledgement',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    })
    this.badFrames = new Counter({
      name: `${prefix}bad_frames_total`,
      help: 'Frames that did not decode, by protocol error code',
      labelNames: ['code'],
      registers,
    })
  }

  /** Counts one live update sent to a subscriber of `endpoint` (`updatesOut`, added when read). */
  countUpdateOut(endpoint: Endpoint): void {
    this.#pendingOut.updates[endpoint]++
  }

  /** Counts `n` bytes sent in a WebSocket message (`bytesOut`, added when read). */
  countBytesOut(n: number): void {
    this.#pendingOut.bytes += n
  }
}
