/**
 * Starts the server of one system for the fan-out, durable-write and memory
 * scenarios, each in its own process on 127.0.0.1 (see `spawnServer.ts`):
 * the feedmesh relay from `packages/relay/dist/cli.js` with its SQLite
 * store in a fresh directory under `tmp` (optionally seeded), and the peers'
 * server scripts under `src/servers`. With `probe`, the process loads the
 * memory probe (`servers/memoryProbe.ts`, `--expose-gc`).
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
      return spawnServer(
        [...node, cli, '--host', '127.0.0.1', '--port', '0', '--data', data, ...flags],
        relayUrl,
      )
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
