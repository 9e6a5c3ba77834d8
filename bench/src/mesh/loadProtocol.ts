/**
 * The messages between the capacity scenario and its load-generator
 * processes (`loadWorker.ts`, over the Node IPC channel). The parent sends
 * a {@link LoadSetup} (which connections to open where, which documents
 * each subscribes or writes), waits for `ready`, then runs phases: each
 * {@link LoadPhase} makes the writers write for `durationMs` (at a fixed
 * rate, or closed-loop with a window of unacknowledged writes), and the
 * worker answers a {@link PhaseResult} with what its writers sent and its
 * readers received.
 *
 * Every written comment carries `ts:<phase>:<ns>` in its text: the
 * writer's `process.hrtime` (CLOCK_MONOTONIC, shared by every process of
 * the machine). Readers find the marker in the raw update bytes without
 * decoding them, so a delivery costs the load generator almost nothing.
 */

/** One connection's job. */
export interface ConnectionJob {
  /** Relay URL. */
  url: string
  /** Documents it subscribes (readers) or writes (writers). */
  docIds: string[]
}

/** Parent → worker: open these connections (closing those of a previous setup). */
export interface LoadSetup {
  type: 'setup'
  readers: ConnectionJob[]
  writers: ConnectionJob[]
}

/** How writers pace themselves in a phase. */
export const PaceModes = {
  /** Each writer writes at a fixed rate (open loop). */
  Rate: 'rate',
  /** Each writer keeps `window` writes unacknowledged (closed loop: as fast as the relay acknowledges). */
  Window: 'window',
} as const

/** One of {@link PaceModes}. */
export type PaceMode = (typeof PaceModes)[keyof typeof PaceModes]

/** Parent → worker: run one phase. */
export interface LoadPhase {
  type: 'phase'
  /** Phase number (goes into the markers). */
  phase: number
  pace: PaceMode
  /** Writes per second per writer (rate pace). */
  ratePerWriter: number
  /** Unacknowledged writes per writer (window pace). */
  window: number
  /** How long writers write. */
  durationMs: number
  /** How long readers keep counting after the writers stop and every write is answered. */
  drainMs: number
}

/** Parent → worker: close everything and exit. */
export interface LoadStop {
  type: 'stop'
}

/** Any message to a worker. */
export type ToWorker = LoadSetup | LoadPhase | LoadStop

/** Worker → parent: the result of a phase. */
export interface PhaseResult {
  type: 'result'
  /** Writes sent during the phase. */
  sent: number
  /** Writes acknowledged by the end of the drain. */
  acked: number
  /** Writes acknowledged during the writing window. */
  ackedInWindow: number
  /** Writes refused. */
  refused: number
  /** Writes still unanswered 10 s after the writing window. */
  unanswered: number
  /** Deliveries of this phase's writes received during the writing window. */
  deliveriesInWindow: number
  /** Deliveries of this phase's writes received in all (window and drain). */
  deliveries: number
  /** Write-to-receipt latency of every delivery, ms. */
  latenciesMs: number[]
  /** Readers the relay closed so far (since the setup), e.g. as slow readers. */
  readersClosed: number
  /** The distinct close codes of those readers. */
  closeCodes: number[]
}

/** Any message from a worker. */
export type FromWorker = { type: 'ready' } | PhaseResult | { type: 'error'; message: string }

/** The marker text of a write. */
export function marker(phase: number, ns: bigint): string {
  return `ts:${phase}:${ns}`
}
