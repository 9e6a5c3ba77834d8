/**
 * Starts a relay: one node:http server on one port carries the feedmesh
 * WebSocket protocol at `/` (clients, and peer relays dialing in), the
 * y-websocket compatibility endpoint at `/y/<docId>`, `/healthz`,
 * `/metrics`, `/feedmesh.json` (the `clientRelays` an app may offer) and
 * (with `app`) static files. With `peers` and `trust` the
 * relay joins a mesh (`mesh/Mesh.ts`): it dials its `peers`, accepts links
 * from the `trust`ed keys, and replicates every document with them.
 *
 * `close()` drains: it stops accepting connections and frames, waits
 * (bounded by `drainTimeoutMs`) until every write in progress is committed
 * and acknowledged, closes every socket with 1001 (going away), then closes
 * the store.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { bestVerifier, CloseCodes, isDocId, isUserId, RecordVerifier } from '@feedmesh/core'
import { WebSocketServer } from 'ws'
import { ClientSession } from './ClientSession.js'
import { DocRegistry } from './DocRegistry.js'
import { type Health, httpRoutes } from './httpRoutes.js'
import { createLogger } from './logger.js'
import { Mesh } from './mesh/Mesh.js'
import type { RelayContext } from './RelayContext.js'
import { Endpoints, RelayMetrics } from './RelayMetrics.js'
import { loadRelayKey } from './relayKey.js'
import {
  DefaultRelayOptions,
  type RelayOptions,
  resolveLimits,
  resolveMeshOptions,
} from './relayOptions.js'
import { StaticFiles } from './staticFiles.js'
import { SqliteStore } from './store/SqliteStore.js'
import { UpdatePipeline } from './UpdatePipeline.js'
import { UserRateLimits } from './UserRateLimits.js'
import { YSession } from './YSession.js'

/** A running relay. */
export interface Relay {
  /** The WebSocket URL of the feedmesh protocol, e.g. `ws://127.0.0.1:4123`. */
  readonly url: string
  /** The HTTP base URL (`/healthz`, `/metrics`, the app), e.g. `http://127.0.0.1:4123`. */
  readonly httpUrl: string
  /** The relay's public key (relay id). */
  readonly publicKey: string
  /** The relay's name. */
  readonly name: string
  /** The store's instance epoch. */
  readonly epoch: string
  /** The figures of `/healthz`. */
  health(): Promise<Health>
  /** Drains and stops the relay (see the module comment). Idempotent. */
  close(): Promise<void>
}

/** The path prefix of the y-websocket compatibility endpoint. */
export const Y_PREFIX = '/y/'

/** Starts a relay with `options` (see {@link RelayOptions}); resolves once it listens. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const name = options.name ?? DefaultRelayOptions.name
  const host = options.host ?? DefaultRelayOptions.host
  const limits = resolveLimits(options.limits)
  const meshOptions = resolveMeshOptions(options.mesh)
  const peers = [...(options.peers ?? [])]
  const trust = [...(options.trust ?? [])]
  for (const url of peers) checkWsUrl('peer', url)
  const clientRelays = [...(options.clientRelays ?? [])]
  for (const url of clientRelays) checkWsUrl('client relay', url)
  for (const key of trust) {
    if (!isUserId(key)) throw new RangeError(`trusted key "${key}" is not a relay public key`)
  }
  const idleTimeoutMs = options.idleTimeoutMs ?? DefaultRelayOptions.idleTimeoutMs
  if (!Number.isFinite(idleTimeoutMs) || idleTimeoutMs < 0) {
    throw new RangeError(`idleTimeoutMs must be 0 or a positive number, got ${idleTimeoutMs}`)
  }
  const setIdleMs = options.subscriptionSetIdleMs ?? DefaultRelayOptions.subscriptionSetIdleMs
  if (!Number.isFinite(setIdleMs) || setIdleMs <= 0) {
    throw new RangeError(`subscriptionSetIdleMs must be a positive number, got ${setIdleMs}`)
  }
  const logger = options.logger ?? createLogger(name)
  const identity = loadRelayKey(options.data)
  const app = options.app === undefined ? undefined : new StaticFiles(options.app)
  const store =
    options.store ??
    (await SqliteStore.open(options.data, {
      ...(options.compactAfter === undefined ? {} : { compactAfter: options.compactAfter }),
      onBackgroundError: (error) => logger.warn({ err: error }, 'store background work failed'),
    }))
  const metrics = new RelayMetrics()
  const registry = new DocRegistry({
    store,
    idleUnloadMs: options.idleUnloadMs ?? DefaultRelayOptions.idleUnloadMs,
    onCountChange: (loaded, hot) => {
      metrics.documentsLoaded.set(loaded)
      metrics.documentsHot.set(hot)
    },
    onMaterialize: () => metrics.documentsMaterialized.inc(),
    sets: { idleMs: setIdleMs },
  })
  let mesh: Mesh | undefined
  const pipeline = new UpdatePipeline({
    registry,
    store,
    verifier: new RecordVerifier(),
    maxRecordBytes: limits.maxRecordBytes,
    logger,
    onStored: (change) => mesh?.stored(change),
  })
  const userRates = new UserRateLimits(limits.userRate, limits.userBurst)
  const rateSweep = setInterval(() => userRates.sweep(), 10_000)
  rateSweep.unref()
  let draining = false
  const ctx: RelayContext = {
    name,
    identity,
    limits,
    registry,
    pipeline,
    store,
    userRates,
    metrics,
    logger,
    verify: (await bestVerifier()).verify,
    helloTimeoutMs: options.helloTimeoutMs ?? DefaultRelayOptions.helloTimeoutMs,
    draining: () => draining,
    idleTimeoutMs,
    acceptPeer: (socket, hello, remote, nonce) => {
      if (mesh !== undefined) return mesh.accept(socket, hello, remote, nonce)
      socket.close(CloseCodes.TryAgainLater, 'the relay is starting')
      return () => undefined
    },
    shareAwareness: (docId, entries, userId) =>
      mesh?.shareAwareness(docId, entries, userId) ?? entries,
  }
  const theMesh = new Mesh({ ctx, peers, trust, options: meshOptions })
  mesh = theMesh
  const sessions = new Set<ClientSession | YSession>()
  const health = async (): Promise<Health> => ({
    name,
    publicKey: identity.userId,
    epoch: store.epoch,
    seq: await store.head(),
    documentsLoaded: registry.loadedCount,
    documentsHot: registry.hotCount,
    connections: sessions.size,
    ...(theMesh.configured ? { peers: theMesh.health() } : {}),
  })

  const server = http.createServer(
    httpRoutes({
      health,
      clientInfo: { name, relays: clientRelays },
      registry: metrics.registry,
      app,
      logger,
    }),
  )
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
  })
  server.on('upgrade', (req, socket: Duplex, head) => {
    socket.on('error', (error) => logger.debug({ err: error }, 'upgrade socket error'))
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`
    const urlPath = (req.url ?? '/').split('?')[0] ?? '/'
    let docId: string | undefined
    if (urlPath.startsWith(Y_PREFIX)) {
      try {
        docId = decodeURIComponent(urlPath.slice(Y_PREFIX.length))
      } catch {
        docId = ''
      }
      if (!isDocId(docId)) return refuseUpgrade(socket, 400, 'Bad Request', 'bad document id')
    } else if (urlPath !== '/') {
      return refuseUpgrade(socket, 404, 'Not Found', 'no WebSocket endpoint here')
    }
    if (draining) return refuseUpgrade(socket, 503, 'Service Unavailable', 'the relay is stopping')
    wss.handleUpgrade(req, socket, head, (ws) => {
      const endpoint = docId === undefined ? Endpoints.Feedmesh : Endpoints.YWebsocket
      ws.on('error', (error) => logger.debug({ err: error, remote }, 'websocket error'))
      const session =
        docId === undefined
          ? new ClientSession(ctx, ws, remote)
          : new YSession(ctx, ws, docId, remote)
      sessions.add(session)
      metrics.connections.inc({ endpoint })
      logger.debug({ remote, endpoint, docId }, 'connection opened')
      ws.on('close', (code) => {
        sessions.delete(session)
        metrics.connections.dec({ endpoint })
        logger.debug({ remote, endpoint, code }, 'connection closed')
      })
    })
  })
  server.on('clientError', (error, socket) => {
    logger.debug({ err: error }, 'http client error')
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')
    else socket.destroy()
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DefaultRelayOptions.port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', (error) => logger.error({ err: error }, 'http server error'))
  const { port } = server.address() as AddressInfo
  const hostInUrl = host.includes(':') ? `[${host}]` : host
  const url = `ws://${hostInUrl}:${port}`
  const httpUrl = `http://${hostInUrl}:${port}`
  const drainTimeoutMs = options.drainTimeoutMs ?? DefaultRelayOptions.drainTimeoutMs

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      draining = true
      logger.info({ connections: sessions.size }, 'draining')
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const settled = await withTimeout(registry.settled(), drainTimeoutMs)
      if (!settled) logger.warn('drain timed out: closing with writes still pending')
      for (const session of sessions) {
        if (session instanceof ClientSession) session.flush()
        session.close(CloseCodes.GoingAway, 'the relay is going away')
      }
      await theMesh.close()
      const socketsClosed = waitFor(() => sessions.size === 0)
      if (!(await withTimeout(socketsClosed, 2000))) {
        for (const ws of wss.clients) ws.terminate()
      }
      server.closeAllConnections()
      await withTimeout(stopped, 2000)
      wss.close()
      clearInterval(rateSweep)
      registry.close()
      await store.close()
      logger.info('closed')
    })()
    return closing
  }

  logger.info(
    {
      url,
      publicKey: identity.userId,
      epoch: store.epoch,
      ...(store instanceof SqliteStore ? { epochReason: store.epochReason } : {}),
      limits,
      ...(theMesh.configured ? { peers, trust } : {}),
    },
    'relay listening',
  )
  theMesh.start()
  return { url, httpUrl, publicKey: identity.userId, name, epoch: store.epoch, health, close }
}

/** Throws a `RangeError` unless `url` (a `what`) is a ws:// or wss:// URL. */
function checkWsUrl(what: string, url: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new RangeError(`${what} "${url}" is not a URL (expected ws://host:port or wss://host)`)
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new RangeError(`${what} "${url}" must be a ws:// or wss:// URL`)
  }
}

function refuseUpgrade(socket: Duplex, status: number, text: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([promise.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves once `done()` is true (checked every 10 ms). */
function waitFor(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (done() ? resolve() : setTimeout(check, 10))
    check()
  })
}
