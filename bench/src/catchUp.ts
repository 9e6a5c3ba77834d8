/**
 * The catch-up measurement both the `subscribe` and the `latency`
 * scenarios run on each system, optionally through a delaying proxy:
 *
 * 1. cold: a fresh client opens every seeded document and waits until all
 *    are synced (then it must hold every seeded document's content);
 * 2. reconnect: it drops its connection(s) and catches up, nothing changed;
 * 3. changed: it drops its connection(s), a writer (another device of the
 *    owners, straight to the server) writes one change batch and waits
 *    until the server holds it, then the client catches up (and must hold
 *    every change).
 *
 * One warm-up round (none in a smoke run), then `repetitions` measured
 * rounds, each with a new client on the same server and the next change
 * batch. A failure (a peer
 * timing out, or missing content) ends that system's run and is kept as
 * the result of the phase it happened in; later phases are not measured.
 */

import * as Y from 'yjs'
import type { BenchClient } from './clients/BenchClient.js'
import { newWire, resetWire, type Wire } from './countingSocket.js'
import type { SeedDoc } from './seedData.js'
import type { ServerProcess } from './spawnServer.js'
import { type Spread, spread } from './stats.js'
import type { System } from './systems.js'
import { type BenchProxy, startProxy } from './tcpProxy.js'

/** The measured phases, as a const object; {@link Phase} is the union. */
export const Phases = {
  Cold: 'cold',
  Reconnect: 'reconnect',
  Changed: 'changed',
} as const

/** One of {@link Phases}. */
export type Phase = (typeof Phases)[keyof typeof Phases]

/** One measured interval. */
export interface Sample {
  /** Wall time, ms. */
  ms: number
  /** Server CPU over the interval, ms. */
  cpuMs: number
  /** Traffic at the client's sockets. */
  wire: Wire
  /** Round trips measured by the proxy (only through one). */
  roundTrips?: number
}

/** One phase of one system, summarized over the repetitions. */
export interface PhaseSummary {
  /** Wall time, ms. */
  ms: Spread
  /** Server CPU, ms (10 ms resolution). */
  serverCpuMs: Spread
  /** Round trips measured by the proxy (NaN without one). */
  roundTrips: Spread
  /** Messages and payload bytes at the client's sockets, medians. */
  sentMessages: number
  sentBytes: number
  receivedMessages: number
  receivedBytes: number
  /** Sockets the client opened. */
  sockets: number
  /** Why this phase has no numbers, when it has none. */
  error?: string
}

/** One system's result. */
export interface SystemCatchUp {
  /** System name. */
  system: string
  /** Each phase. */
  phases: Record<Phase, PhaseSummary>
}

/** What {@link measureCatchUp} needs. */
export interface CatchUpSetup {
  /** Seeded documents. */
  docs: readonly SeedDoc[]
  /** The seed file of the same documents. */
  seedFile: string
  /** One change batch per round, warm-up included. */
  changes: readonly (readonly SeedDoc[])[]
  /** Measured rounds after the warm-up. */
  repetitions: number
  /** Run one unmeasured round first. */
  warmUp: boolean
  /** Scratch directory. */
  tmp: string
  /** Put the client's sockets behind a proxy adding this delay each way, ms (and charging the TCP handshake). */
  delayMs?: number
}

/** Documents of `expected` whose content the client's replica lacks. */
function missing(client: BenchClient, expected: readonly SeedDoc[]): number {
  let count = 0
  for (const { docId, update } of expected) {
    const doc = client.doc(docId)
    const have =
      doc === undefined ? new Map<number, number>() : Y.decodeStateVector(Y.encodeStateVector(doc))
    const need = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update))
    for (const [clientId, clock] of need) {
      if ((have.get(clientId) ?? 0) < clock) {
        count++
        break
      }
    }
  }
  return count
}

/** Throws when the client lacks any of `expected`. */
function check(client: BenchClient, expected: readonly SeedDoc[], what: string): void {
  const lacking = missing(client, expected)
  if (lacking > 0) throw new Error(`${lacking} of ${expected.length} ${what} missing after sync`)
}

async function timed(
  server: ServerProcess,
  wire: Wire,
  proxy: BenchProxy | undefined,
  fn: () => Promise<void>,
): Promise<Sample> {
  resetWire(wire)
  proxy?.resetCounts()
  const cpu0 = server.cpuMs()
  const t0 = performance.now()
  await fn()
  const ms = performance.now() - t0
  const roundTrips = proxy?.roundTrips()
  // Let the server finish accounting for the last frames before reading its CPU.
  await new Promise((r) => setTimeout(r, 20))
  return {
    ms,
    cpuMs: server.cpuMs() - cpu0,
    wire: { ...wire },
    ...(roundTrips === undefined ? {} : { roundTrips }),
  }
}

/** Summarizes samples (NaN and zeros when there are none). */
function summarize(samples: readonly Sample[], error?: string): PhaseSummary {
  const med = (f: (w: Wire) => number) =>
    samples.length === 0 ? 0 : spread(samples.map((s) => f(s.wire))).median
  return {
    ms: spread(samples.map((s) => s.ms)),
    serverCpuMs: spread(samples.map((s) => s.cpuMs)),
    roundTrips: spread(samples.flatMap((s) => (s.roundTrips === undefined ? [] : [s.roundTrips]))),
    sentMessages: med((w) => w.sentMessages),
    sentBytes: med((w) => w.sentBytes),
    receivedMessages: med((w) => w.receivedMessages),
    receivedBytes: med((w) => w.receivedBytes),
    sockets: med((w) => w.sockets),
    ...(error === undefined ? {} : { error }),
  }
}

/** The first line of an error's message, shortened. */
export function shortError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0]!.slice(0, 120)
}

/** The client's URL: the server's, or the proxy's in front of it. */
function proxied(url: string, proxy: BenchProxy | undefined): string {
  if (proxy === undefined) return url
  const port = new URL(url).port
  return url.replace(`:${port}`, `:${proxy.port}`)
}

/** Runs the three phases on one system (see the module comment). */
export async function measureCatchUp(system: System, setup: CatchUpSetup): Promise<SystemCatchUp> {
  const server = await system.start(setup)
  const proxy =
    setup.delayMs === undefined
      ? undefined
      : await startProxy(Number(new URL(server.url).port), {
          delayMs: setup.delayMs,
          connectRoundTrip: true,
        })
  const docIds = setup.docs.map((d) => d.docId)
  const samples: Record<Phase, Sample[]> = { cold: [], reconnect: [], changed: [] }
  let failure: { phase: Phase; error: string } | undefined
  const options = system.syncTimeoutMs === undefined ? {} : { syncTimeoutMs: system.syncTimeoutMs }
  try {
    const first = setup.warmUp ? 0 : 1
    for (let round = first; round <= setup.repetitions && failure === undefined; round++) {
      const wire = newWire()
      const client = system.client(proxied(server.url, proxy), docIds, wire, options)
      const writer = system.writer(server.url)
      let phase: Phase = Phases.Cold
      try {
        const cold = await timed(server, wire, proxy, () => client.open())
        check(client, setup.docs, 'seeded documents')
        phase = Phases.Reconnect
        await client.disconnect()
        const reconnect = await timed(server, wire, proxy, () => client.catchUp())
        phase = Phases.Changed
        await client.disconnect()
        const batch = setup.changes[round] ?? []
        await writer.write(batch)
        const changed = await timed(server, wire, proxy, () => client.catchUp())
        check(client, batch, 'changed documents')
        if (round > 0) {
          samples.cold.push(cold)
          samples.reconnect.push(reconnect)
          samples.changed.push(changed)
        }
      } catch (error) {
        failure = { phase, error: shortError(error) }
      } finally {
        await writer.close()
        await client.close()
      }
    }
  } finally {
    await proxy?.close()
    await server.stop()
  }
  const notRun = failure === undefined ? undefined : `not measured (${failure.phase} failed)`
  const order: Phase[] = [Phases.Cold, Phases.Reconnect, Phases.Changed]
  const failedAt = failure === undefined ? order.length : order.indexOf(failure.phase)
  const phases = Object.fromEntries(
    order.map((phase, i) => [
      phase,
      i < failedAt
        ? summarize(samples[phase])
        : summarize([], i === failedAt ? failure?.error : notRun),
    ]),
  ) as Record<Phase, PhaseSummary>
  return { system: system.name, phases }
}
