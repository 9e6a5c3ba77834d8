/**
 * Scenario `subscribe`: one client and many small documents already on the
 * server (500 in the quick size, about 1.9 KB of update each).
 *
 * - Cold subscribe: a fresh client opens every document; time until all
 *   are synced, bytes and messages both ways, sockets, server CPU; beside
 *   it the decode floor: the same updates applied into fresh Y.Docs in
 *   this process, which no protocol can beat.
 * - Reconnect, nothing changed: the client drops its connection(s) and
 *   catches up.
 * - Reconnect after 10% of the documents changed: while the client is
 *   away, another device of each owner writes one short post into 10% of
 *   the documents (the same bytes for every system, confirmed by the
 *   server first); then the client catches up. The bytes it receives are
 *   set against the size of the changes.
 */
import * as Y from 'yjs'
import { Phases, type SystemCatchUp } from '../catchUp.js'
import {
  type CatchUpData,
  CHANGED_FRACTION,
  errorRow,
  kib,
  measureSystems,
  phaseBars,
  prepareCatchUp,
  requireFeedmesh,
  timeCell,
  traffic,
} from '../catchUpReport.js'
import type { BenchContext, Scenario, ScenarioResult, Table } from '../scenario.js'
import type { SeedDoc } from '../seedData.js'
import { formatSpread, type Spread, spread } from '../stats.js'
import { catchUpSystems, HOCUSPOCUS_MAX_PENDING_DEFAULT } from '../systems.js'

/** Applies every seeded update into fresh Y.Docs, `repetitions` times after one warm-up. */
function decodeFloor(docs: readonly SeedDoc[], repetitions: number): Spread {
  const once = () => {
    const t0 = performance.now()
    for (const { update } of docs) Y.applyUpdate(new Y.Doc(), update)
    return performance.now() - t0
  }
  once()
  return spread(Array.from({ length: repetitions }, once))
}

function coldTable(results: readonly SystemCatchUp[], floor: Spread, docs: number): Table {
  const columns = [
    'system',
    'time ms, median (min–max)',
    'x floor',
    'sent msgs / KiB',
    'received msgs / KiB',
    'sockets',
    'server CPU ms',
  ]
  return {
    title: `Cold subscribe, ${docs} documents`,
    columns,
    rows: [
      [
        'decode floor (applying the updates in-process)',
        formatSpread(floor, 1),
        '1.00',
        '',
        '',
        '',
        '',
      ],
      ...results.map((r) => {
        const s = r.phases.cold
        if (s.error !== undefined) return errorRow(r.system, s, columns.length)
        return [
          r.system,
          timeCell(s),
          (s.ms.median / floor.median).toFixed(2),
          traffic(s.sentMessages, s.sentBytes),
          traffic(s.receivedMessages, s.receivedBytes),
          String(s.sockets),
          formatSpread(s.serverCpuMs),
        ]
      }),
    ],
  }
}

function reconnectTable(results: readonly SystemCatchUp[]): Table {
  const columns = [
    'system',
    'time ms, median (min–max)',
    'sent msgs / KiB',
    'received msgs / KiB',
    'sockets',
    'server CPU ms',
  ]
  return {
    title: 'Reconnect, nothing changed',
    columns,
    rows: results.map((r) => {
      const s = r.phases.reconnect
      if (s.error !== undefined) return errorRow(r.system, s, columns.length)
      return [
        r.system,
        timeCell(s),
        traffic(s.sentMessages, s.sentBytes),
        traffic(s.receivedMessages, s.receivedBytes),
        String(s.sockets),
        formatSpread(s.serverCpuMs),
      ]
    }),
  }
}

function changedTable(results: readonly SystemCatchUp[], data: CatchUpData): Table {
  const columns = [
    'system',
    'time ms, median (min–max)',
    'sent msgs / KiB',
    'received msgs / KiB',
    'received ÷ changes',
    'sockets',
    'server CPU ms',
  ]
  return {
    title: `Reconnect after ${CHANGED_FRACTION * 100}% changed (${data.changedDocs} documents, ${kib(data.changeBytes)} KiB of changes)`,
    columns,
    rows: results.map((r) => {
      const s = r.phases.changed
      if (s.error !== undefined) return errorRow(r.system, s, columns.length)
      return [
        r.system,
        timeCell(s),
        traffic(s.sentMessages, s.sentBytes),
        traffic(s.receivedMessages, s.receivedBytes),
        `${(s.receivedBytes / data.changeBytes).toFixed(1)}x`,
        String(s.sockets),
        formatSpread(s.serverCpuMs),
      ]
    }),
  }
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const data = prepareCatchUp(ctx)
  const docCount = data.docs.length
  ctx.log(
    `${docCount} documents of ~${data.docBytes} B; ${data.changedDocs} changed per round (${data.changeBytes} B)`,
  )
  const floor = decodeFloor(data.docs, ctx.repetitions)
  const systems = catchUpSystems(docCount, ctx.size, true)
  const results = await measureSystems(ctx, systems, data)
  requireFeedmesh(results)
  const size = `${docCount} documents of ~${data.docBytes} B`
  const defaultsFail = docCount > HOCUSPOCUS_MAX_PENDING_DEFAULT
  const hocuspocusDefaults = systems.find((s) => s.name === 'Hocuspocus (defaults)')
  return {
    tables: [
      coldTable(results, floor, docCount),
      reconnectTable(results),
      changedTable(results, data),
    ],
    notes: [
      'Times run from the first connect to the last document synced: connecting, (feedmesh) the signed handshake, and applying every update into a Y.Doc at the client; dropping the connection before a reconnect is not timed.',
      'Bytes and messages are WebSocket payloads counted at the client sockets; server CPU is from /proc (10 ms ticks).',
      'feedmesh: one WebSocketTransport (authenticated, resume on), one SUBSCRIBE for every document; seeded straight into its SQLite store.',
      'y-websocket: one WebsocketProvider and socket per document; seeded into the server process memory.',
      'Hocuspocus: one HocuspocusProviderWebsocket shared by one HocuspocusProvider per document; seeded through onLoadDocument, so it reloads (and re-sends) every document after all clients left.',
      ...(defaultsFail
        ? [
            `Hocuspocus's default maxPendingDocuments (${HOCUSPOCUS_MAX_PENDING_DEFAULT}) resets a socket that opens more documents at once, and the provider keeps reconnecting into the same reset: the failure is deterministic, so that row gives up after ${(hocuspocusDefaults?.syncTimeoutMs ?? 0) / 1000} s. The documented fix, \`new Server({ maxPendingDocuments: N })\`, is measured in its own row.`,
          ]
        : []),
      `The decode floor applies the ${docCount} seeded updates into fresh Y.Docs in this process (no network): ${formatSpread(floor, 1)} ms.`,
      `10% changed: before each such reconnect, another device of each owner writes one new post of 40 characters into ${data.changedDocs} documents (a different slice each round, the same bytes for every system: ${data.changeBytes} B of Yjs updates in all, ${Math.round(data.changeBytes / data.changedDocs)} B each, signed records included) and waits until the server holds them (feedmesh: ACK after the SQLite commit; y-websocket: the answer to a later sync step 1 on the same socket; Hocuspocus: no unsynced changes left). The client then must hold every change. 'received ÷ changes' sets the bytes the client received against that size.`,
      "The writer stays connected until the client caught up: Hocuspocus without a storage hook forgets a document when its last client leaves, and would lose the change otherwise. Later rounds carry the earlier rounds' changes (under 1% more bytes per round), except Hocuspocus, which forgot them.",
      `${ctx.size === 'smoke' ? 'No warm-up (smoke run)' : 'One warm-up round'}, then ${ctx.repetitions} measured rounds, each with a new client on the same server.`,
    ],
    charts: [
      {
        file: 'subscribe-cold',
        title: `Cold subscribe: ${size}`,
        unit: 'ms',
        lowerIsBetter: true,
        bars: [
          {
            label: 'decode floor (in-process)',
            value: floor.median,
            min: floor.min,
            max: floor.max,
            reference: true,
          },
          ...phaseBars(results, Phases.Cold),
        ],
      },
      {
        file: 'subscribe-reconnect',
        title: `Reconnect, nothing changed: ${docCount} documents`,
        unit: 'ms',
        lowerIsBetter: true,
        bars: phaseBars(results, Phases.Reconnect),
      },
      {
        file: 'subscribe-changed',
        title: `Reconnect after ${data.changedDocs} of ${docCount} documents changed`,
        unit: 'ms',
        lowerIsBetter: true,
        bars: phaseBars(results, Phases.Changed),
      },
      {
        file: 'subscribe-changed-bytes',
        title: `Bytes received catching up on ${data.changedDocs} changed documents`,
        unit: 'KiB',
        lowerIsBetter: true,
        note: `The changes themselves: ${kib(data.changeBytes)} KiB`,
        bars: [
          { label: 'the changes themselves', value: data.changeBytes / 1024, reference: true },
          ...phaseBars(results, Phases.Changed, (s) => ({ value: s.receivedBytes / 1024 })),
        ],
      },
    ],
    data: {
      docs: docCount,
      docBytes: data.docBytes,
      changedDocs: data.changedDocs,
      changeBytes: data.changeBytes,
      decodeFloorMs: floor,
      systems: results,
    },
  }
}

/** Scenario `subscribe` (see the module comment). */
export const subscribe: Scenario = {
  id: 'subscribe',
  title: 'Cold subscribe and reconnect catch-up',
  run,
}
