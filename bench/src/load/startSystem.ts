/**
 * Starts the server of one system for the fan-out, durable-write and memory
 * scenarios, each in its own process on 127.0.0.1 (see `spawnServer.ts`):
 * the feedmesh relay from `packages/relay/dist/cli.js` with its SQLite
 * store in a fresh directory under `tmp` (optionally seeded), and the peers'
 * server scripts under `src/servers`. With `probe`, the process loads the
 * memory probe (`servers/memoryProbe.ts`, `--expose-gc`). Extra Node
 * flags for the feedmesh relay come from `BENCH_RELAY_NODE_ARGS`
 * (space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile
 * it under a scenario's load).
 */
import fs from 'node:fs'
import path from 'node:path'
import { SqliteStore } from '@feedmesh/relay'
import type { SeedDoc } from '../seedData.js'
import { portUrl, relayUrl, rootDir, type ServerProcess, spawnServer } from '../spawnServer.js'
import type { SystemId } from './rawConnection.js'
import { probeNodeArgs } from './readMemory.js'

/** How to start a system's server. */
export interface StartOptions {
  /** Scratch directory (the relay's data directory goes under it). */
  tmp: string
  /** Load the memory probe. */
  probe?: boolean
  /** Extra command line flags of the server. */
  flags?: readonly string[]
  /** Documents to put into the relay's store before it starts (feedmesh only). */
  seed?: readonly SeedDoc[]
}

/** Extra Node flags of the feedmesh relay process, from `BENCH_RELAY_NODE_ARGS`. */
function relayNodeArgs(): string[] {
  return (process.env.BENCH_RELAY_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '')
}

/**
 * Stops a relay started with extra Node flags: SIGTERM first (the relay
 * drains and exits, so `--cpu-prof` and the like write their files), then
 * the usual kill if it is still there after 10 s.
 */
async function stopGently(server: ServerProcess): Promise<void> {
  try {
    process.kill(server.pid, 'SIGTERM')
  } catch {
    return
  }
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    try {
      process.kill(server.pid, 0)
    } catch {
      return
    }
  }
  await server.stop()
}

/** Starts `system`'s server (see the module comment). */
export async function startSystem(system: SystemId, options: StartOptions): Promise<ServerProcess> {
  const node = options.probe === true ? probeNodeArgs : []
  const flags = options.flags ?? []
  switch (system) {
    case 'feedmesh': {
      const data = fs.mkdtempSync(path.join(options.tmp, 'relay-'))
      if (options.seed !== undefined && options.seed.length > 0) {
        const store = await SqliteStore.open(data)
        await Promise.all(options.seed.map(({ docId, update }) => store.append(docId, update)))
        await store.close()
      }
      const cli = path.join(rootDir, 'packages/relay/dist/cli.js')
      const extra = relayNodeArgs()
      const server = await spawnServer(
        [...node, ...extra, cli, '--host', '127.0.0.1', '--port', '0', '--data', data, ...flags],
        relayUrl,
      )
      return extra.length === 0 ? server : { ...server, stop: () => stopGently(server) }
    }
    case 'y-websocket':
      return spawnServer(
        [...node, '--import', 'tsx', 'src/servers/yWebsocketServer.ts', ...flags],
        portUrl,
      )
    case 'hocuspocus':
      return spawnServer(
        [...node, '--import', 'tsx', 'src/servers/hocuspocusServer.ts', ...flags],
        portUrl,
      )
  }
}

/** The relay's HTTP base URL from its WebSocket URL. */
export function httpUrlOf(wsUrl: string): string {
  return wsUrl.replace(/^ws/, 'http').replace(/\/$/, '')
}
