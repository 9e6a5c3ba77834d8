/**
 * The IPC messages between the benchmark and its subscriber processes
 * (`subscriberProcess.ts`): every request carries an `id` that its answer
 * repeats.
 */
import type { SystemId } from './rawConnection.js'

/** What the benchmark asks a subscriber process. */
export type SubscriberRequest =
  | {
      id: number
      kind: 'open'
      system: SystemId
      url: string
      docId: string
      count: number
    }
  | { id: number; kind: 'run'; run: number; updates: number }
  | { id: number; kind: 'progress' }
  | { id: number; kind: 'collect' }
  | { id: number; kind: 'keepAlive' }
  | { id: number; kind: 'close' }

/** What one process received in one run. */
export interface RunTally {
  /** Updates of the run each subscriber received (distinct). */
  perSubscriber: number[]
  /** Updates received more than once. */
  duplicates: number
  /** Writer-to-receipt latency of every delivery, ms. */
  latencies: number[]
  /** When the last delivery arrived (ms since the epoch); 0 without any. */
  lastAt: number
  /** When the first delivery arrived (ms since the epoch); 0 without any. */
  firstAt: number
}

/** A subscriber process's answer. */
export type SubscriberAnswer =
  | { id: number; kind: 'opened'; opened: number; errors: string[] }
  | { id: number; kind: 'progress'; delivered: number }
  | { id: number; kind: 'collected'; tally: RunTally }
  | { id: number; kind: 'done' }
