/**
 * The command line of `feedmesh-relay`: every flag, its environment
 * variable and its help line in one table ({@link CliFlags}), parsed into
 * `RelayOptions`. A flag wins over its environment variable, which wins over
 * the default. Repeatable flags (`--peer`, `--trust`, `--client-relay`) take a comma-separated
 * list in their environment variable; given on the command line, they
 * replace it.
 */
import { parseArgs } from 'node:util'
import { isUserId } from '@feedmesh/core'
import { type LogLevel, LogLevels } from './logger.js'
import {
  DefaultMeshOptions,
  DefaultRelayLimits,
  DefaultRelayOptions,
  type MeshOptions,
  type RelayLimits,
  type RelayOptions,
} from './relayOptions.js'

/** One flag of the CLI. */
interface CliFlag {
  /** The long flag, without `--`. */
  flag: string
  /** Its environment variable. */
  env: string
  /** Placeholder in the help. */
  value: string
  /** Help line. */
  help: string
  /** Where it goes: an option, a limit, or the log level. */
  target:
    | { kind: 'option'; key: 'host' | 'name' | 'app' | 'data' }
    | {
        kind: 'number'
        key:
          | 'port'
          | 'idleUnloadMs'
          | 'subscriptionSetIdleMs'
          | 'helloTimeoutMs'
          | 'drainTimeoutMs'
          | 'compactAfter'
          | 'idleTimeoutMs'
      }
    | { kind: 'limit'; key: keyof RelayLimits }
    | { kind: 'list'; key: 'peers' | 'trust' | 'clientRelays' }
    | { kind: 'mesh'; key: keyof MeshOptions }
    | { kind: 'logLevel' }
}

/** Every flag, in help order. */
export const CliFlags: readonly CliFlag[] = [
  {
    flag: 'host',
    env: 'FEEDMESH_HOST',
    value: 'HOST',
    help: `interface to listen on (default ${DefaultRelayOptions.host})`,
    target: { kind: 'option', key: 'host' },
  },
  {
    flag: 'port',
    env: 'FEEDMESH_PORT',
    value: 'PORT',
    help: 'port to listen on; 0 picks a free one (default 0)',
    target: { kind: 'number', key: 'port' },
  },
  {
    flag: 'data',
    env: 'FEEDMESH_DATA',
    value: 'DIR',
    help: 'data directory: relay.key, relay.sqlite, epoch (default ./feedmesh-relay-data)',
    target: { kind: 'option', key: 'data' },
  },
  {
    flag: 'name',
    env: 'FEEDMESH_NAME',
    value: 'NAME',
    help: `relay name shown to clients (default ${DefaultRelayOptions.name})`,
    target: { kind: 'option', key: 'name' },
  },
  {
    flag: 'app',
    env: 'FEEDMESH_APP',
    value: 'DIR',
    help: 'serve the static files of DIR over HTTP (index.html fallback)',
    target: { kind: 'option', key: 'app' },
  },
  {
    flag: 'client-relay',
    env: 'FEEDMESH_CLIENT_RELAYS',
    value: 'URL',
    help: 'list the relay at URL (ws:// or wss://) in GET /feedmesh.json, for the app to offer; repeatable; env: comma-separated',
    target: { kind: 'list', key: 'clientRelays' },
  },
  {
    flag: 'max-frame-bytes',
    env: 'FEEDMESH_MAX_FRAME_BYTES',
    value: 'N',
    help: `largest WebSocket frame (default ${DefaultRelayLimits.maxFrameBytes})`,
    target: { kind: 'limit', key: 'maxFrameBytes' },
  },
  {
    flag: 'max-docs',
    env: 'FEEDMESH_MAX_DOCS',
    value: 'N',
    help: `documents one connection may subscribe (default ${DefaultRelayLimits.maxDocsPerConnection})`,
    target: { kind: 'limit', key: 'maxDocsPerConnection' },
  },
  {
    flag: 'max-batch',
    env: 'FEEDMESH_MAX_BATCH',
    value: 'N',
    help: `entries in one SUBSCRIBE/UNSUBSCRIBE (default ${DefaultRelayLimits.maxBatch})`,
    target: { kind: 'limit', key: 'maxBatch' },
  },
  {
    flag: 'max-record-bytes',
    env: 'FEEDMESH_MAX_RECORD_BYTES',
    value: 'N',
    help: `largest record, as JSON (default ${DefaultRelayLimits.maxRecordBytes})`,
    target: { kind: 'limit', key: 'maxRecordBytes' },
  },
  {
    flag: 'conn-rate',
    env: 'FEEDMESH_CONN_RATE',
    value: 'N',
    help: `updates per second per connection (default ${DefaultRelayLimits.connectionRate})`,
    target: { kind: 'limit', key: 'connectionRate' },
  },
  {
    flag: 'conn-burst',
    env: 'FEEDMESH_CONN_BURST',
    value: 'N',
    help: `burst of updates per connection (default ${DefaultRelayLimits.connectionBurst})`,
    target: { kind: 'limit', key: 'connectionBurst' },
  },
  {
    flag: 'user-rate',
    env: 'FEEDMESH_USER_RATE',
    value: 'N',
    help: `updates per second per user (default ${DefaultRelayLimits.userRate})`,
    target: { kind: 'limit', key: 'userRate' },
  },
  {
    flag: 'user-burst',
    env: 'FEEDMESH_USER_BURST',
    value: 'N',
    help: `burst of updates per user (default ${DefaultRelayLimits.userBurst})`,
    target: { kind: 'limit', key: 'userBurst' },
  },
  {
    flag: 'max-buffered-bytes',
    env: 'FEEDMESH_MAX_BUFFERED_BYTES',
    value: 'N',
    help: `bytes queued for a slow reader before it is closed (default ${DefaultRelayLimits.maxBufferedBytes})`,
    target: { kind: 'limit', key: 'maxBufferedBytes' },
  },
  {
    flag: 'idle-unload-ms',
    env: 'FEEDMESH_IDLE_UNLOAD_MS',
    value: 'MS',
    help: `unload documents unused this long (default ${DefaultRelayOptions.idleUnloadMs})`,
    target: { kind: 'number', key: 'idleUnloadMs' },
  },
  {
    flag: 'subscription-set-idle-ms',
    env: 'FEEDMESH_SUBSCRIPTION_SET_IDLE_MS',
    value: 'MS',
    help: `forget subscription sets (resume points) nobody named this long (default ${DefaultRelayOptions.subscriptionSetIdleMs})`,
    target: { kind: 'number', key: 'subscriptionSetIdleMs' },
  },
  {
    flag: 'hello-timeout-ms',
    env: 'FEEDMESH_HELLO_TIMEOUT_MS',
    value: 'MS',
    help: `close connections not authenticated (HELLO, AUTH) this long (default ${DefaultRelayOptions.helloTimeoutMs})`,
    target: { kind: 'number', key: 'helloTimeoutMs' },
  },
  {
    flag: 'drain-timeout-ms',
    env: 'FEEDMESH_DRAIN_TIMEOUT_MS',
    value: 'MS',
    help: `on SIGTERM, wait this long for pending writes (default ${DefaultRelayOptions.drainTimeoutMs})`,
    target: { kind: 'number', key: 'drainTimeoutMs' },
  },
  {
    flag: 'compact-after',
    env: 'FEEDMESH_COMPACT_AFTER',
    value: 'N',
    help: 'compact a document log in the background from N updates (default 200)',
    target: { kind: 'number', key: 'compactAfter' },
  },
  {
    flag: 'idle-timeout-ms',
    env: 'FEEDMESH_IDLE_TIMEOUT_MS',
    value: 'MS',
    help: `close connections silent this long (no frame, no ping); 0 = never for clients (default ${DefaultRelayOptions.idleTimeoutMs})`,
    target: { kind: 'number', key: 'idleTimeoutMs' },
  },
  {
    flag: 'peer',
    env: 'FEEDMESH_PEERS',
    value: 'URL',
    help: 'link to the peer relay at URL (ws:// or wss://); repeatable; env: comma-separated',
    target: { kind: 'list', key: 'peers' },
  },
  {
    flag: 'trust',
    env: 'FEEDMESH_TRUST',
    value: 'KEY',
    help: 'accept links with the relay whose public key is KEY; repeatable; env: comma-separated',
    target: { kind: 'list', key: 'trust' },
  },
  {
    flag: 'peer-sync-ms',
    env: 'FEEDMESH_PEER_SYNC_MS',
    value: 'MS',
    help: `ask each peer for its changes at least this often (default ${DefaultMeshOptions.syncIntervalMs})`,
    target: { kind: 'mesh', key: 'syncIntervalMs' },
  },
  {
    flag: 'peer-retry-min-ms',
    env: 'FEEDMESH_PEER_RETRY_MIN_MS',
    value: 'MS',
    help: `first reconnect delay of a peer link, doubled with jitter (default ${DefaultMeshOptions.retryMinMs})`,
    target: { kind: 'mesh', key: 'retryMinMs' },
  },
  {
    flag: 'peer-retry-max-ms',
    env: 'FEEDMESH_PEER_RETRY_MAX_MS',
    value: 'MS',
    help: `longest reconnect delay of a peer link (default ${DefaultMeshOptions.retryMaxMs})`,
    target: { kind: 'mesh', key: 'retryMaxMs' },
  },
  {
    flag: 'peer-queue-bytes',
    env: 'FEEDMESH_PEER_QUEUE_BYTES',
    value: 'N',
    help: `bytes waiting for a slow peer before live updates to it are dropped for catch-up (default ${DefaultMeshOptions.maxQueueBytes})`,
    target: { kind: 'mesh', key: 'maxQueueBytes' },
  },
  {
    flag: 'log-level',
    env: 'FEEDMESH_LOG_LEVEL',
    value: 'LEVEL',
    help: `${LogLevels.join('|')} (default info)`,
    target: { kind: 'logLevel' },
  },
]

/** The default data directory. */
export const DEFAULT_DATA = './feedmesh-relay-data'

/** What the command line asks for. */
export type CliCommand =
  | { command: 'help' }
  | { command: 'key'; data: string }
  | { command: 'serve'; options: RelayOptions; logLevel: LogLevel }

/** The help text, with examples. */
export function helpText(): string {
  const width = Math.max(...CliFlags.map((f) => `--${f.flag} ${f.value}`.length))
  const lines = CliFlags.map(
    (f) => `  ${`--${f.flag} ${f.value}`.padEnd(width)}  ${f.help} [${f.env}]`,
  )
  return `feedmesh-relay: the feedmesh relay server

Usage:
  feedmesh-relay [flags]              start a relay
  feedmesh-relay key --data DIR       print the relay's public key (creating its key if missing)
  feedmesh-relay --help               this help

One port serves the feedmesh WebSocket protocol at /, the y-websocket
compatibility endpoint at /y/<docId>, GET /healthz, GET /metrics,
GET /feedmesh.json (name and --client-relay list, for apps) and, with
--app, static files. On start, the first line on stdout is a JSON object
with url, httpUrl, publicKey and name; logs are JSON lines on stderr.
SIGTERM drains: pending writes are committed, sockets close with 1001.

Flags (each also read from the environment variable in brackets):
${lines.join('\n')}

Examples:
  feedmesh-relay --port 4444 --data /var/lib/feedmesh
  FEEDMESH_PORT=0 FEEDMESH_DATA=./data feedmesh-relay --name eu-1
  feedmesh-relay --host 0.0.0.0 --port 8080 --app ./examples/feed-app/dist
  feedmesh-relay --app ./examples/feed-app/dist --client-relay wss://eu.example.org --client-relay wss://us.example.org
  feedmesh-relay key --data /var/lib/feedmesh
  feedmesh-relay --data ./eu --peer wss://us.example.org --trust <us key>
  FEEDMESH_PEERS=ws://10.0.0.2:4444,ws://10.0.0.3:4444 FEEDMESH_TRUST=<key2>,<key3> feedmesh-relay
`
}

/** Thrown for a bad command line; the message says what to fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

function toNumber(flag: string, text: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`--${flag} needs a non-negative number, got "${text}"`)
  }
  return value
}

/** Parses the arguments (without `node` and the script) and the environment. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  const options: Record<
    string,
    { type: 'string'; multiple?: boolean } | { type: 'boolean'; short?: string }
  > = {
    help: { type: 'boolean', short: 'h' },
  }
  for (const f of CliFlags) {
    options[f.flag] =
      f.target.kind === 'list' ? { type: 'string', multiple: true } : { type: 'string' }
  }
  // every flag but --help takes a value: glue it on, so that a value starting
  // with a dash (a relay key may) is not taken for a flag
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const next = argv[i + 1]
    if (
      arg.startsWith('--') &&
      !arg.includes('=') &&
      arg.slice(2) in options &&
      next !== undefined
    ) {
      if (options[arg.slice(2)]?.type === 'string') {
        args.push(`${arg}=${next}`)
        i++
        continue
      }
    }
    args.push(arg)
  }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  if (parsed.values.help === true) return { command: 'help' }
  const positionals = parsed.positionals
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'key')) {
    throw new UsageError(`unknown command "${positionals.join(' ')}" (try --help)`)
  }
  const relay: RelayOptions = { data: DEFAULT_DATA }
  const limits: Partial<RelayLimits> = {}
  const mesh: Partial<MeshOptions> = {}
  let logLevel: LogLevel = 'info'
  for (const f of CliFlags) {
    const raw = parsed.values[f.flag]
    if (f.target.kind === 'list') {
      const items = Array.isArray(raw)
        ? raw.flatMap((item) => (typeof item === 'string' ? splitList(item) : []))
        : splitList(env[f.env] ?? '')
      if (items.length === 0) continue
      if (f.target.key === 'peers') relay.peers = items.map((url) => checkUrl(f.flag, url))
      else if (f.target.key === 'clientRelays') {
        relay.clientRelays = items.map((url) => checkUrl(f.flag, url))
      } else relay.trust = items.map((key) => checkKey(f.flag, key))
      continue
    }
    const text = typeof raw === 'string' ? raw : env[f.env]
    if (text === undefined || text === '') continue
    const target = f.target
    switch (target.kind) {
      case 'option':
        relay[target.key] = text
        break
      case 'number':
        relay[target.key] = toNumber(f.flag, text)
        break
      case 'limit': {
        const value = toNumber(f.flag, text)
        if (value === 0) throw new UsageError(`--${f.flag} must be above 0`)
        limits[target.key] = value
        break
      }
      case 'mesh': {
        const value = toNumber(f.flag, text)
        if (value === 0) throw new UsageError(`--${f.flag} must be above 0`)
        mesh[target.key] = value
        break
      }
      case 'logLevel':
        if (!(LogLevels as readonly string[]).includes(text)) {
          throw new UsageError(`--log-level must be one of ${LogLevels.join(', ')}`)
        }
        logLevel = text as LogLevel
        break
    }
  }
  if (relay.port !== undefined && (!Number.isInteger(relay.port) || relay.port > 65535)) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got ${relay.port}`)
  }
  if (positionals[0] === 'key') return { command: 'key', data: relay.data }
  relay.limits = limits
  if (Object.keys(mesh).length > 0) relay.mesh = mesh
  return { command: 'serve', options: relay, logLevel }
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
}

function checkUrl(flag: string, url: string): string {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')) {
    throw new UsageError(`--${flag} needs a ws:// or wss:// URL, got "${url}"`)
  }
  return url
}

function checkKey(flag: string, key: string): string {
  if (!isUserId(key)) {
    throw new UsageError(
      `--${flag} needs a relay public key (43 characters, from "feedmesh-relay key"), got "${key}"`,
    )
  }
  return key
}
