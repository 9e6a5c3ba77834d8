/**
 * The systems the catch-up scenarios compare, each with how to start its
 * server (seeded with the same documents), its client and its writer:
 * feedmesh (a relay process on a SQLite store), the stock y-websocket
 * server, and Hocuspocus with its defaults and with the documented fix for
 * a client that opens many documents over one socket.
 */
import type { ClientFactory, WriterFactory } from './clients/BenchClient.js'
import { feedmeshClient, feedmeshWriter } from './clients/feedmeshClient.js'
import { hocuspocusClient, hocuspocusWriter } from './clients/hocuspocusClient.js'
import { yWebsocketClient, yWebsocketWriter } from './clients/yWebsocketClient.js'
import { startSystem } from './load/startSystem.js'
import type { BenchSize } from './scenario.js'
import type { SeedDoc } from './seedData.js'
import type { ServerProcess } from './spawnServer.js'

/** What a system's server starts from. */
export interface SeedInput {
  /** The seed file (for the peers, which load it in their own process). */
  seedFile: string
  /** The same documents (feedmesh writes them into its store before starting). */
  docs: readonly SeedDoc[]
  /** A scratch directory. */
  tmp: string
}

/** One system under test. */
export interface System {
  /** Name in the tables (with its configuration). */
  name: string
  /** Starts its server, seeded. */
  start(seed: SeedInput): Promise<ServerProcess>
  /** Its measured client. */
  client: ClientFactory
  /** Its writer (another device of the owners). */
  writer: WriterFactory
  /** A shorter sync timeout, for a configuration known to fail deterministically. */
  syncTimeoutMs?: number
}

/** Hocuspocus's default `maxPendingDocuments`. */
export const HOCUSPOCUS_MAX_PENDING_DEFAULT = 100

/** A peer's server script, started with the seed file and `extra` flags. */
const peerServer =
  (system: 'y-websocket' | 'hocuspocus', extra: string[] = []) =>
  ({ seedFile, tmp }: SeedInput) =>
    startSystem(system, { tmp, flags: ['--seed', seedFile, ...extra] })

/** feedmesh: a relay process on a SQLite store the seed was appended to. */
export const feedmeshSystem: System = {
  name: 'feedmesh',
  start: ({ docs, tmp }) => startSystem('feedmesh', { tmp, seed: docs }),
  client: feedmeshClient,
  writer: feedmeshWriter,
}

/** The stock y-websocket server, seeded in memory. */
export const yWebsocketSystem: System = {
  name: 'y-websocket',
  start: peerServer('y-websocket'),
  client: yWebsocketClient,
  writer: yWebsocketWriter,
}

/** Hocuspocus with its defaults; a client opening more than 100 documents at once gets its socket reset. */
export function hocuspocusDefaults(size: BenchSize): System {
  return {
    name: 'Hocuspocus (defaults)',
    start: peerServer('hocuspocus'),
    client: hocuspocusClient,
    writer: hocuspocusWriter,
    syncTimeoutMs: size === 'smoke' ? 5_000 : 10_000,
  }
}

/** Hocuspocus with `maxPendingDocuments` raised to `docCount`, its documented fix. */
export function hocuspocusMaxPending(docCount: number): System {
  return {
    name: `Hocuspocus (maxPendingDocuments ${docCount})`,
    start: peerServer('hocuspocus', ['--max-pending', String(docCount)]),
    client: hocuspocusClient,
    writer: hocuspocusWriter,
  }
}

/**
 * The systems for `docCount` documents: feedmesh, y-websocket, Hocuspocus
 * with its defaults (left out with `withFailingDefaults` false when they
 * cannot work) and, when the defaults cannot open that many documents at
 * once, Hocuspocus with the fix.
 */
export function catchUpSystems(
  docCount: number,
  size: BenchSize,
  withFailingDefaults: boolean,
): System[] {
  const defaultsFail = docCount > HOCUSPOCUS_MAX_PENDING_DEFAULT
  return [
    feedmeshSystem,
    yWebsocketSystem,
    ...(defaultsFail && !withFailingDefaults ? [] : [hocuspocusDefaults(size)]),
    ...(defaultsFail ? [hocuspocusMaxPending(docCount)] : []),
  ]
}
