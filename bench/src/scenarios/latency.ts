/**
 * Scenario `latency`: the `subscribe` scenario's three catch-ups (cold,
 * reconnect with nothing changed, reconnect after 10% changed) with every
 * client socket going through a proxy that delays each chunk 40 ms each
 * way: an 80 ms round trip, like US-East to EU-West. Here round trips
 * dominate, so the scenario reports how many each system needs: time
 * divided by the round trip, and the count the proxy measures (the
 * deepest request→response chain delivered to the client before it was
 * synced, the TCP handshake included; see `tcpProxy.ts`).
 */
import { type Phase, type PhaseSummary, Phases, type SystemCatchUp } from '../catchUp.js'
import {
  type CatchUpData,
  errorRow,
  failedHere,
  measureSystems,
  phaseBars,
  prepareCatchUp,
  requireFeedmesh,
  timeCell,
  traffic,
} from '../catchUpReport.js'
import type { BenchContext, Chart, Scenario, ScenarioResult, Table } from '../scenario.js'
import { catchUpSystems, HOCUSPOCUS_MAX_PENDING_DEFAULT } from '../systems.js'

/** Delay added each way, ms. */
const DELAY_MS = 40
/** The round trip it makes, ms. */
const RTT_MS = 2 * DELAY_MS

const phaseNames: Record<Phase, string> = {
  cold: 'cold subscribe',
  reconnect: 'reconnect, nothing changed',
  changed: 'reconnect, 10% changed',
}
const order: Phase[] = [Phases.Cold, Phases.Reconnect, Phases.Changed]

/** `measured (time ÷ RTT)` round trips of a phase; measured: the fewest of the repetitions. */
function roundTripCell(s: PhaseSummary): string {
  if (s.error !== undefined) return failedHere(s) ? 'failed' : '–'
  const measured = Number.isNaN(s.roundTrips.min) ? '?' : String(s.roundTrips.min)
  return `${measured} (${(s.ms.median / RTT_MS).toFixed(1)})`
}

function summaryTable(results: readonly SystemCatchUp[]): Table {
  return {
    title: `Round trips to catch up over an ${RTT_MS} ms round trip: measured at the proxy, fewest of the repetitions (median time ÷ ${RTT_MS} ms)`,
    columns: ['system', ...order.map((p) => phaseNames[p])],
    rows: results.map((r) => [r.system, ...order.map((p) => roundTripCell(r.phases[p]))]),
  }
}

function detailTable(results: readonly SystemCatchUp[], data: CatchUpData): Table {
  const columns = [
    'system',
    'catch-up',
    'time ms, median (min–max)',
    `time ÷ ${RTT_MS} ms`,
    'round trips (proxy)',
    'sent msgs / KiB',
    'received msgs / KiB',
    'sockets',
  ]
  const rows: string[][] = []
  for (const phase of order) {
    for (const r of results) {
      const s = r.phases[phase]
      if (s.error !== undefined) {
        const [system, ...rest] = errorRow(r.system, s, columns.length - 1)
        rows.push([system!, phaseNames[phase], ...rest])
        continue
      }
      rows.push([
        r.system,
        phaseNames[phase],
        timeCell(s),
        (s.ms.median / RTT_MS).toFixed(1),
        Number.isNaN(s.roundTrips.median)
          ? '?'
          : s.roundTrips.min === s.roundTrips.max
            ? String(s.roundTrips.median)
            : `${s.roundTrips.median} (${s.roundTrips.min}–${s.roundTrips.max})`,
        traffic(s.sentMessages, s.sentBytes),
        traffic(s.receivedMessages, s.receivedBytes),
        String(s.sockets),
      ])
    }
  }
  return {
    title: `Catch-up with ${DELAY_MS} ms each way, ${data.docs.length} documents (${data.changedDocs} changed)`,
    columns,
    rows,
  }
}

function chart(results: readonly SystemCatchUp[], phase: Phase, docCount: number): Chart {
  return {
    file: `latency-${phase}`,
    title: `${phaseNames[phase]}, ${docCount} documents, ${RTT_MS} ms round trip`,
    unit: 'ms',
    lowerIsBetter: true,
    note: `Each ${RTT_MS} ms is one round trip`,
    bars: phaseBars(results, phase),
  }
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const data = prepareCatchUp(ctx)
  const docCount = data.docs.length
  ctx.log(`${docCount} documents through a proxy adding ${DELAY_MS} ms each way`)
  const systems = catchUpSystems(docCount, ctx.size, false)
  const results = await measureSystems(ctx, systems, data, DELAY_MS)
  requireFeedmesh(results)
  return {
    tables: [summaryTable(results), detailTable(results, data)],
    notes: [
      `Every client socket goes through a TCP proxy that holds each chunk ${DELAY_MS} ms in each direction (order kept), an ${RTT_MS} ms round trip; the proxy also charges the TCP handshake it answers itself (the client's first bytes leave one round trip after it connected), as a real link would. The writers of the 10% case connect directly.`,
      `Round trips (proxy): every chunk gets the depth of its causal chain on its connection: a chunk from the client is one deeper than the deepest chunk the client had received, a chunk from the server as deep as the deepest chunk the server had received; the TCP handshake is the first. The figure is the deepest chunk delivered to the client by the time it was synced (the largest over its sockets). It can only over-count: a reply the client sends late, after a newer chunk reached it, counts one deeper; so the summary takes the fewest of the repetitions. Time ÷ round trip is the same count read off the clock, plus processing time (and, with y-websocket, ${docCount} sockets set up one after another).`,
      'feedmesh needs TCP, the WebSocket upgrade (the relay’s CHALLENGE comes with it), then HELLO + AUTH + SUBSCRIBE in one flight → WELCOME + SYNCED. y-websocket needs TCP, the upgrade and sync step 1 → step 2 on each of its sockets, in parallel. Hocuspocus needs TCP, the upgrade, then its auth and sync messages per document over the shared socket.',
      ...(docCount > HOCUSPOCUS_MAX_PENDING_DEFAULT
        ? [
            `Hocuspocus runs with maxPendingDocuments ${docCount} only: with its defaults it cannot open ${docCount} documents over one socket (see the cold subscribe scenario).`,
          ]
        : []),
      `Same documents, change batches, clients and repetitions as the cold subscribe scenario (${ctx.repetitions} measured rounds${ctx.size === 'smoke' ? ', no warm-up' : ' after one warm-up'}).`,
    ],
    charts: order.map((phase) => chart(results, phase, docCount)),
    data: {
      delayMs: DELAY_MS,
      docs: docCount,
      changedDocs: data.changedDocs,
      changeBytes: data.changeBytes,
      systems: results,
    },
  }
}

/** Scenario `latency` (see the module comment). */
export const latency: Scenario = {
  id: 'latency',
  title: 'Catch-up over an 80 ms round trip',
  run,
}
