/**
 * Relay meshes for the end-to-end tests: relay keys made up front with
 * `feedmesh-relay key --data DIR` (so every relay can `--trust` the others
 * before any starts), test flags (quick reconnects and catch-up rounds, no
 * rate limits), `/healthz` with its peer figures, and a bounded wait until
 * a relay's links are connected and caught up.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { until } from './clients.js'
import { cliPath, relayDir, type SpawnedRelay } from './spawnRelay.js'

const run = promisify(execFile)

/** Mesh tuning for tests: quick reconnects and catch-up rounds; no rate limits (tests write fast). */
export const meshTestFlags = [
  '--peer-retry-min-ms',
  '50',
  '--peer-retry-max-ms',
  '500',
  '--peer-sync-ms',
  '2000',
  '--conn-rate',
  '1000000',
  '--conn-burst',
  '1000000',
  '--user-rate',
  '1000000',
  '--user-burst',
  '1000000',
]

/** The relay key of each data directory (created when missing), via the CLI, in parallel. */
export async function relayKeys(dataDirs: readonly string[]): Promise<string[]> {
  return Promise.all(
    dataDirs.map(async (data) => {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', cliPath, 'key', '--data', data],
        { cwd: relayDir, timeout: 20_000 },
      )
      const key = stdout.trim().split('\n')[0] ?? ''
      if (key.length !== 43) throw new Error(`unexpected output of feedmesh-relay key: ${stdout}`)
      return key
    }),
  )
}

/** `--trust` flags for every key but `own`. */
export function trustFlags(keys: readonly string[], own: string): string[] {
  return keys.filter((k) => k !== own).flatMap((k) => ['--trust', k])
}

/** What `/healthz` tells of one peer (the fields these tests read). */
export interface PeerFigures {
  publicKey: string | null
  connected: boolean
  lag: number
  syncing: boolean
  lastSyncAt: string | null
  docsUpdated: number
  updatesIn: number
}

/** `/healthz` of a relay in a mesh. */
export interface MeshHealth {
  name: string
  seq: number
  peers: PeerFigures[]
}

/** GETs `/healthz`. */
export async function healthOf(relay: SpawnedRelay): Promise<MeshHealth> {
  return (await (await relay.get('/healthz')).json()) as MeshHealth
}

/**
 * Waits (bounded) until `relay` reports each of `peerKeys` connected, caught
 * up (lag 0), not in a round and synced at least once (or, with
 * `connected: false`, each of them disconnected).
 */
export async function waitPeers(
  relay: SpawnedRelay,
  peerKeys: readonly string[],
  options: { connected?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const want = options.connected ?? true
  let health: MeshHealth | undefined
  let ok = false
  const check = async () => {
    health = await healthOf(relay)
    ok = peerKeys.every((key) => {
      const peer = health?.peers.find((p) => p.publicKey === key)
      if (!want) return peer === undefined || !peer.connected
      return peer?.connected === true && peer.lag === 0 && !peer.syncing && peer.lastSyncAt !== null
    })
  }
  const end = Date.now() + (options.timeoutMs ?? 15_000)
  for (;;) {
    await check()
    if (ok) return
    if (Date.now() > end) {
      throw new Error(
        `${relay.name}: peers not ${want ? 'linked and caught up' : 'disconnected'}: ${JSON.stringify(health?.peers)}`,
      )
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Waits (bounded) until `read()` is deep-equal in JSON to `expected()`; throws with both. */
export async function untilJsonEqual(
  read: () => unknown,
  expected: () => unknown,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  try {
    await until(() => JSON.stringify(read()) === JSON.stringify(expected()), what, timeoutMs)
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n got: ${JSON.stringify(read())}\nwant: ${JSON.stringify(expected())}`,
    )
  }
}
