/**
 * feedmesh relay processes for the mesh benchmarks: each runs the built
 * CLI (`packages/relay/dist/cli.js`) in its own process on 127.0.0.1 with
 * its own SQLite data directory and relay key, trusts the keys it is
 * given and dials the peer URLs it is given (e.g. a `tcpProxy.ts` in
 * front of another relay, which the benchmark cuts to partition them).
 * A relay can be restarted on the same data and port, so a proxy keeps
 * pointing at it. Also: its `/healthz` peer figures.
 */
import net from 'node:net'
import path from 'node:path'
import { loadRelayKey, type PeerHealth } from '@feedmesh/relay'
import { rootDir, type ServerProcess, spawnServer } from '../spawnServer.js'

/** Mesh tuning of the benchmarks: quick reconnects after a partition and periodic rounds every 2 s. */
export const benchMeshFlags = [
  '--peer-retry-min-ms',
  '50',
  '--peer-retry-max-ms',
  '500',
  '--peer-sync-ms',
  '2000',
]

/** Flags that lift the per-connection and per-user rate limits (the load is generated from one host). */
export const unlimitedRates = [
  '--conn-rate',
  '1000000',
  '--conn-burst',
  '1000000',
  '--user-rate',
  '1000000',
  '--user-burst',
  '1000000',
]

/** What a relay's `/healthz` says, as far as the benchmarks read it. */
export interface RelayHealth {
  seq: number
  peers?: PeerHealth[]
}

/** How to start one relay. */
export interface RelaySpec {
  /** Its data directory (created, with its key, when absent). */
  data: string
  /** Its name. */
  name: string
  /** Keys it accepts links from. */
  trust: readonly string[]
  /** URLs it dials. */
  peers: readonly string[]
  /** Port (default: a free one, chosen once and kept across restarts). */
  port?: number
  /** Extra flags. */
  args?: readonly string[]
}

/** A relay process of the benchmark. */
export interface BenchRelay {
  /** Its public key. */
  readonly publicKey: string
  /** Its port (kept across restarts). */
  readonly port: number
  /** `ws://127.0.0.1:<port>`. */
  readonly url: string
  /** The running process (replaced by {@link BenchRelay.restart}). */
  process: ServerProcess
  /** GET /healthz. */
  health(): Promise<RelayHealth>
  /** Kills the process (SIGKILL: every acknowledged write is already committed). */
  stop(): Promise<void>
  /** Starts it again on the same data directory and port. */
  restart(): Promise<void>
}

/** A port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** The public key of the relay whose data directory is `data` (creates the key when absent). */
export function relayKeyOf(data: string): string {
  return loadRelayKey(data).userId
}

/** Starts a relay (see the module comment). */
export async function startBenchRelay(spec: RelaySpec): Promise<BenchRelay> {
  const port = spec.port ?? (await freePort())
  const publicKey = relayKeyOf(spec.data)
  const cli = path.join(rootDir, 'packages/relay/dist/cli.js')
  const args = [
    cli,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--data',
    spec.data,
    '--name',
    spec.name,
    ...spec.trust.flatMap((key) => [`--trust=${key}`]),
    ...spec.peers.flatMap((url) => ['--peer', url]),
    ...benchMeshFlags,
    ...unlimitedRates,
    ...(spec.args ?? []),
  ]
  // the first stdout line is the relay's JSON description; the URL is known already
  const spawn = () => spawnServer(args, () => `ws://127.0.0.1:${port}`)
  const relay: BenchRelay = {
    publicKey,
    port,
    url: `ws://127.0.0.1:${port}`,
    process: await spawn(),
    async health() {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
        signal: AbortSignal.timeout(10_000),
      })
      return (await res.json()) as RelayHealth
    },
    stop() {
      return relay.process.stop()
    },
    async restart() {
      await relay.process.stop()
      relay.process = await spawn()
    },
  }
  return relay
}

/** Sum of one peer figure over every peer of `relays`. */
export async function sumPeerFigure(
  relays: readonly BenchRelay[],
  figure: 'docsSynced' | 'docsServed' | 'docsUpdated' | 'fullReconciliations' | 'updatesOut',
): Promise<number> {
  let sum = 0
  for (const relay of relays)
    for (const peer of (await relay.health()).peers ?? []) sum += peer[figure]
  return sum
}

/** True when every relay reports every peer connected, caught up (lag 0), not in a round and synced once. */
export async function allCaughtUp(relays: readonly BenchRelay[]): Promise<boolean> {
  for (const relay of relays) {
    const peers = (await relay.health()).peers ?? []
    if (peers.length < relays.length - 1) return false
    for (const p of peers) {
      if (!p.connected || p.lag > 0 || p.syncing || p.lastSyncAt === null) return false
    }
  }
  return true
}
