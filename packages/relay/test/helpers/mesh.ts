/**
 * Test meshes of real relay processes: each relay gets its own data
 * directory and key, trusts the keys of the others, and dials its peers
 * through a {@link TcpProxy} per link, so a test partitions the mesh by
 * cutting proxies. Relays restart on their own port and data (the proxies
 * keep pointing at them). Also: reading a relay's documents, a canonical
 * digest of a document to compare replicas, waiting for convergence, and
 * `/healthz` peer figures.
 */
import { type DocId, listEntries } from '@feedmesh/core'
import * as Y from 'yjs'
import { loadRelayKey } from '../../src/relayKey.js'
import { RawClient } from './RawClient.js'
import { type SpawnedRelay, spawnRelay, tempDir } from './spawnRelay.js'
import { startTcpProxy, type TcpProxy } from './tcpProxy.js'

/** Flags that lift the rate limits (tests write fast). */
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

/** Mesh tuning for tests: quick reconnects and catch-up rounds. */
export const quickMesh = [
  '--peer-retry-min-ms',
  '50',
  '--peer-retry-max-ms',
  '500',
  '--peer-sync-ms',
  '2000',
]

/** One relay of a test mesh. */
export interface MeshNode {
  /** Its index in the mesh. */
  readonly index: number
  /** Its data directory. */
  readonly data: string
  /** Its public key. */
  readonly publicKey: string
  /** Its flags (without --port). */
  readonly args: string[]
  /** Its port, once started (kept across restarts). */
  port: number | undefined
  /** The running process, or undefined while down. */
  relay: SpawnedRelay | undefined
}

/** A mesh of relay processes with a proxy per link. */
export interface TestMesh {
  /** The relays. */
  readonly nodes: MeshNode[]
  /** The proxy of the link `[from, to]` (from dials to through it). */
  proxy(from: number, to: number): TcpProxy
  /** Every proxy. */
  readonly proxies: TcpProxy[]
  /** The links, as `[from, to]`. */
  readonly links: [number, number][]
  /** The running relay `i` (throws when down). */
  relay(i: number): SpawnedRelay
  /** (Re)starts relay `i` on its data and port. */
  start(i: number): Promise<SpawnedRelay>
  /** Stops relay `i` (SIGKILL by default). */
  stop(i: number, signal?: NodeJS.Signals): Promise<void>
}

/** What a test mesh is made of. */
export interface MeshSpec {
  /** Number of relays. */
  size: number
  /** Links as `[from, to]`: relay `from` dials relay `to` (through a proxy). */
  links: [number, number][]
  /** Extra flags for every relay. */
  args?: string[]
  /** Data directories to use (default: new temporary ones), e.g. pre-populated stores. */
  dataDirs?: string[]
  /** Keys each relay trusts (default: every other relay's key). */
  trust?: (index: number, keys: string[]) => string[]
}

/** Starts a mesh (see the module comment); every relay is started. */
export async function startMesh(spec: MeshSpec): Promise<TestMesh> {
  const datas = Array.from({ length: spec.size }, (_, i) => spec.dataDirs?.[i] ?? tempDir())
  const keys = datas.map((data) => loadRelayKey(data).userId)
  const proxies = new Map<string, TcpProxy>()
  for (const [from, to] of spec.links) {
    const proxy = await startTcpProxy(1)
    proxy.cut()
    proxies.set(`${from}-${to}`, proxy)
  }
  const nodes: MeshNode[] = datas.map((data, index) => {
    const trust = spec.trust?.(index, keys) ?? keys.filter((_, j) => j !== index)
    const peers = spec.links
      .filter(([from]) => from === index)
      .map(([from, to]) => proxies.get(`${from}-${to}`)!.url)
    return {
      index,
      data,
      publicKey: keys[index]!,
      args: [
        '--name',
        `relay-${index}`,
        ...trust.flatMap((key) => ['--trust', key]),
        ...peers.flatMap((url) => ['--peer', url]),
        ...quickMesh,
        ...unlimitedRates,
        ...(spec.args ?? []),
      ],
      port: undefined,
      relay: undefined,
    }
  })
  const start = async (i: number): Promise<SpawnedRelay> => {
    const node = nodes[i]!
    const relay = await spawnRelay({
      data: node.data,
      args: [...node.args, ...(node.port === undefined ? [] : ['--port', String(node.port)])],
    })
    node.port = Number(new URL(relay.url).port)
    node.relay = relay
    for (const [from, to] of spec.links) {
      if (to === i) proxies.get(`${from}-${to}`)!.retarget(node.port)
    }
    return relay
  }
  await Promise.all(nodes.map((_, i) => start(i)))
  for (const proxy of proxies.values()) proxy.restore()
  return {
    nodes,
    proxies: [...proxies.values()],
    links: spec.links,
    proxy(from, to) {
      const proxy = proxies.get(`${from}-${to}`) ?? proxies.get(`${to}-${from}`)
      if (proxy === undefined) throw new Error(`no link between ${from} and ${to}`)
      return proxy
    },
    relay(i) {
      const relay = nodes[i]?.relay
      if (relay === undefined) throw new Error(`relay ${i} is down`)
      return relay
    },
    start,
    async stop(i, signal = 'SIGKILL') {
      const node = nodes[i]!
      const relay = node.relay
      node.relay = undefined
      if (relay !== undefined) await relay.kill(signal)
    },
  }
}

/** The figures `/healthz` gives of one peer. */
export interface PeerFigures {
  publicKey: string | null
  name: string
  url: string | null
  connected: boolean
  direction: 'dialed' | 'accepted' | null
  lag: number
  syncing: boolean
  lastSyncAt: string | null
  cursor: number
  peerSeq: number
  docsSynced: number
  docsServed: number
  docsUpdated: number
  fullReconciliations: number
  updatesIn: number
  updatesOut: number
  updatesDropped: number
  bytesIn: number
  bytesOut: number
  lastError: string | null
}

/** `/healthz` of a relay with a mesh. */
export interface MeshHealth {
  name: string
  publicKey: string
  epoch: string
  seq: number
  peers: PeerFigures[]
}

/** GETs `/healthz`. */
export async function healthOf(relay: SpawnedRelay): Promise<MeshHealth> {
  return (await (await relay.get('/healthz')).json()) as MeshHealth
}

/** Sum of one figure over every peer of every running relay. */
export async function sumFigure(
  relays: readonly SpawnedRelay[],
  figure: 'updatesOut' | 'docsSynced' | 'docsServed' | 'updatesDropped' | 'fullReconciliations',
): Promise<number> {
  let sum = 0
  for (const relay of relays) {
    for (const peer of (await healthOf(relay)).peers) sum += peer[figure]
  }
  return sum
}

/** Reads documents from a relay (full state, no garbage collection) in one SUBSCRIBE. */
export async function readState(url: string, docIds: readonly DocId[]): Promise<Map<DocId, Y.Doc>> {
  const client = await RawClient.open(url)
  try {
    const empty = Y.encodeStateVector(new Y.Doc())
    const frames = await client.subscribe(docIds.map((docId) => ({ docId, stateVector: empty })))
    const docs = new Map<DocId, Y.Doc>()
    for (const docId of docIds) docs.set(docId, new Y.Doc({ gc: false }))
    for (const frame of frames) {
      for (const entry of frame.docs) Y.applyUpdate(docs.get(entry.docId)!, entry.update)
    }
    return docs
  } finally {
    await client.close()
  }
}

/**
 * A canonical digest of a document: its snapshot (state vector and delete
 * set, both encoded in sorted order) and its live record entries, sorted.
 * Two replicas with the same digest hold the same document state.
 */
export function docDigest(doc: Y.Doc): string {
  const snapshot = Buffer.from(Y.encodeSnapshot(Y.snapshot(doc))).toString('base64')
  const entries = listEntries(doc)
    .map((entry) => `${entry.key}=${JSON.stringify(entry.value)}`)
    .sort()
  return `${snapshot}|${entries.join('\n')}`
}

/** The digests of `docIds` at one relay. */
export async function digests(url: string, docIds: readonly DocId[]): Promise<Map<DocId, string>> {
  const docs = await readState(url, docIds)
  return new Map([...docs].map(([docId, doc]) => [docId, docDigest(doc)]))
}

/** The documents whose digests differ between relays (empty when they all agree). */
export async function differences(
  urls: readonly string[],
  docIds: readonly DocId[],
): Promise<DocId[]> {
  const all = await Promise.all(urls.map((url) => digests(url, docIds)))
  const first = all[0]!
  return docIds.filter((docId) => all.some((d) => d.get(docId) !== first.get(docId)))
}

/** Waits (polling) until every relay holds the same state of `docIds`; throws with the differing documents. */
export async function waitConverged(
  urls: readonly string[],
  docIds: readonly DocId[],
  timeoutMs = 30_000,
): Promise<number> {
  const started = performance.now()
  let diff: DocId[] = []
  while (performance.now() - started < timeoutMs) {
    diff = await differences(urls, docIds)
    if (diff.length === 0) return performance.now() - started
    await sleep(200)
  }
  throw new Error(
    `relays did not converge within ${timeoutMs} ms: ${diff.length} document(s) differ, e.g. ${diff.slice(0, 3).join(', ')}`,
  )
}

/** Waits until `check` is true (polling every 100 ms); throws `what` on timeout. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (await check()) return
    await sleep(100)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/**
 * Waits until, for every link of `mesh` between running relays, both ends
 * report the other connected, caught up (lag 0) and not in a round.
 */
export async function waitLinked(mesh: TestMesh, timeoutMs = 20_000): Promise<void> {
  await waitUntil(
    async () => {
      for (const [a, b] of mesh.links) {
        const [na, nb] = [mesh.nodes[a]!, mesh.nodes[b]!]
        if (na.relay === undefined || nb.relay === undefined) continue
        for (const [node, other] of [
          [na, nb],
          [nb, na],
        ] as const) {
          const peer = (await healthOf(node.relay!)).peers.find(
            (p) => p.publicKey === other.publicKey,
          )
          if (
            peer === undefined ||
            !peer.connected ||
            peer.lag > 0 ||
            peer.syncing ||
            peer.lastSyncAt === null
          ) {
            return false
          }
        }
      }
      return true
    },
    'every link connected and caught up',
    timeoutMs,
  )
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
