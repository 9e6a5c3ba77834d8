/**
 * The relay's plain HTTP routes: `GET /healthz` (JSON: name, public key,
 * epoch, sequence, documents loaded (and of those hot), connections and, in a mesh, its peers), `GET /metrics`
 * (Prometheus text from the relay's own registry), `GET /feedmesh.json`
 * (what an app served by the relay needs to know: the relay's name and the
 * relays it may offer, from `--client-relay`) and, with `--app`, static
 * files. Everything else is 404; a failure is a 500, never a crash.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { PeerHealth } from './mesh/PeerStats.js'
import type { StaticFiles } from './staticFiles.js'

/** What `GET /healthz` answers. */
export interface Health {
  /** The relay's name. */
  name: string
  /** The relay's public key (its relay id). */
  publicKey: string
  /** The store's instance epoch. */
  epoch: string
  /** The store's latest change sequence number. */
  seq: number
  /** Documents loaded in memory. */
  documentsLoaded: number
  /** Of those, the documents holding a Y.Doc replica (written recently); the others are encoded state only. */
  documentsHot: number
  /** Open WebSocket connections (both endpoints). */
  connections: number
  /** The mesh peers (only when the relay has `--peer` or `--trust`): links, lag, catch-up figures. */
  peers?: PeerHealth[]
}

/** What `GET /feedmesh.json` answers. */
export interface ClientInfo {
  /** The relay's name. */
  name: string
  /** Relays (ws:// or wss:// URLs) an app may offer its users; empty when none were given. */
  relays: readonly string[]
}

/** The path of the {@link ClientInfo} route. */
export const CLIENT_INFO_PATH = '/feedmesh.json'

/** What the routes need from the relay. */
export interface HttpRouteDeps {
  /** Current health figures. */
  health: () => Promise<Health>
  /** What `GET /feedmesh.json` answers. */
  clientInfo: ClientInfo
  /** The metrics registry. */
  registry: Registry
  /** Static files, when `--app` was given. */
  app: StaticFiles | undefined
  /** Logger for failures. */
  logger: Logger
}

/** Builds the request listener of the relay's HTTP server. */
export function httpRoutes(
  deps: HttpRouteDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      deps.logger.error({ err: error, url: req.url }, 'http handler failed')
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('internal error\n')
    })
  }
}

async function handle(deps: HttpRouteDeps, req: IncomingMessage, res: ServerResponse) {
  const urlPath = (req.url ?? '/').split('?')[0] ?? '/'
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
    res.end('method not allowed\n')
    return
  }
  if (urlPath === '/healthz') {
    const body = JSON.stringify(await deps.health())
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    })
    res.end(req.method === 'HEAD' ? undefined : body)
    return
  }
  if (urlPath === CLIENT_INFO_PATH) {
    const body = JSON.stringify(deps.clientInfo)
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'access-control-allow-origin': '*',
    })
    res.end(req.method === 'HEAD' ? undefined : body)
    return
  }
  if (urlPath === '/metrics') {
    const body = await deps.registry.metrics()
    res.writeHead(200, { 'content-type': deps.registry.contentType })
    res.end(req.method === 'HEAD' ? undefined : body)
    return
  }
  if (deps.app?.serve(req, res, urlPath)) return
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
  res.end('not found\n')
}
