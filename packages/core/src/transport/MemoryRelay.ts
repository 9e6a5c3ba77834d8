/**
 * An in-process relay with the semantics of the real one, for tests: it
 * holds one Y.Doc and one update log per document, authenticates each
 * connection as a user by a signed challenge, answers batch subscriptions
 * in one `synced` frame, relays awareness updates to a document's other
 * subscribers (never stored), runs every client update through the guard
 * (`checkUpdate`, with the connection's user as uploader and the document
 * owner's block list), stores accepted changes before acknowledging or
 * forwarding them, and forwards to the other subscribers only what changed.
 *
 * Two relays can be linked as trusted peers ({@link MemoryRelay.peer}):
 * whenever the link comes up both exchange state vectors of every document
 * and send each other what the other misses; accepted changes are then
 * pushed live. Changes that arrive over a peer link are checked with
 * `trustedPeer: true` and forwarded only when they change something, so
 * any connected topology converges without loops.
 *
 * Everything a relay does runs on one serial queue, tracked by the
 * {@link SimNetwork}, so nothing observes an update applied but not yet
 * stored, and `network.run()` waits for the relay to finish its work.
 */
import * as Y from 'yjs'
import { type DocId, isDocId, parseDocId, userDocId } from '../docIds.js'
import { verify } from '../ed25519.js'
import { checkUpdate, GuardRules } from '../guard.js'
import { publicKeyFromUserId, type UserId } from '../Identity.js'
import { listEntries, resolveVersions } from '../recordMap.js'
import { isTombstone, parseRecord, type RecordVerifier, sharedVerifier } from '../records.js'
import {
  authMessage,
  type ClientFrame,
  type PeerFrame,
  RelayErrorCodes,
  type RelayFrame,
  type SyncedDoc,
} from './memoryProtocol.js'
import { type Direction, Directions, type SimLink, type SimNetwork } from './SimNetwork.js'

/** Options of a {@link MemoryRelay}. */
export interface MemoryRelayOptions {
  /** The relay's name, reported to clients in `onOpen`. */
  name: string
  /** The network its connections and peer links run over. */
  network: SimNetwork
  /** Signature cache for the guard (default: the shared one). */
  verifier?: RecordVerifier
  /**
   * Makes an accepted change durable; the relay acknowledges and forwards
   * only after it resolves (default: resolves at once). Tests use it to
   * hold a write "in storage".
   */
  store?: (docId: DocId, update: Uint8Array) => Promise<void>
}

/** The relay's end of one client connection, as a transport sees it. */
export interface RelaySession {
  /** Hands a frame that arrived over the link to the relay. */
  receive(frame: ClientFrame): void
}

interface ClientConnection {
  readonly link: SimLink
  readonly send: (frame: RelayFrame) => void
  claimed: UserId | null
  nonce: Uint8Array | null
  userId: UserId | null
  readonly subscribed: Set<DocId>
  open: boolean
  offCut: () => void
}

interface PeerConnection {
  readonly relay: MemoryRelay
  readonly link: SimLink
  /** The direction this side sends in. */
  readonly direction: Direction
}

/** Where an accepted change came from, so it is not echoed back. */
type Source = ClientConnection | PeerConnection | null

/** An in-memory relay (see the module comment). */
export class MemoryRelay {
  /** The relay's name. */
  readonly name: string
  /**
   * Updates from peers that the guard refused, other than for a missing
   * dependency (should stay 0 between honest relays).
   */
  peerRefused = 0
  /** Unexpected failures of the relay's own work (should stay empty). */
  readonly failures: unknown[] = []
  readonly #network: SimNetwork
  readonly #verifier: RecordVerifier
  readonly #store: (docId: DocId, update: Uint8Array) => Promise<void>
  readonly #docs = new Map<DocId, Y.Doc>()
  readonly #logs = new Map<DocId, Uint8Array[]>()
  readonly #clients = new Set<ClientConnection>()
  readonly #peers: PeerConnection[] = []
  #chain: Promise<void> = Promise.resolve()

  /** @param options name, network, verifier, store hook */
  constructor(options: MemoryRelayOptions) {
    this.name = options.name
    this.#network = options.network
    this.#verifier = options.verifier ?? sharedVerifier
    this.#store = options.store ?? (async () => {})
  }

  /** The relay's replica of a document, if it holds one (read it, do not write it). */
  doc(docId: DocId): Y.Doc | undefined {
    return this.#docs.get(docId)
  }

  /** Every document the relay holds. */
  docIds(): DocId[] {
    return [...this.#docs.keys()]
  }

  /** The durably stored updates of a document, oldest first. */
  log(docId: DocId): readonly Uint8Array[] {
    return this.#logs.get(docId) ?? []
  }

  /** Open, authenticated client connections. */
  get clientCount(): number {
    let n = 0
    for (const c of this.#clients) if (c.userId !== null) n++
    return n
  }

  /** Resolves once the relay has finished everything queued so far. */
  idle(): Promise<void> {
    return this.#chain
  }

  /**
   * The owner's block list as this relay knows it: the resolved, non-deleted
   * `block` records (id = the blocked user id) that `owner` wrote in
   * `u/<owner>`.
   */
  blockedBy(owner: UserId): Set<UserId> {
    const blocked = new Set<UserId>()
    const doc = this.#docs.get(userDocId(owner))
    if (doc === undefined) return blocked
    for (const entry of resolveVersions(listEntries(doc))) {
      if (entry.parsed.author !== owner) continue
      const record = parseRecord(entry.value)
      if (record !== null && record.type === 'block' && !isTombstone(record)) {
        blocked.add(record.id)
      }
    }
    return blocked
  }

  /**
   * Accepts a client connection arriving over `link`; `send` delivers
   * frames back to the client. Called by {@link MemoryTransport}.
   */
  accept(link: SimLink, send: (frame: RelayFrame) => void): RelaySession {
    const conn: ClientConnection = {
      link,
      send,
      claimed: null,
      nonce: null,
      userId: null,
      subscribed: new Set(),
      open: true,
      offCut: () => {},
    }
    conn.offCut = link.onCut(() => this.#close(conn))
    this.#clients.add(conn)
    return { receive: (frame) => this.#enqueue(() => this.#onClientFrame(conn, frame)) }
  }

  /**
   * Links this relay with `other` as trusted peers over a new link of the
   * network, and returns the link (cut and restore it to partition them).
   */
  peer(other: MemoryRelay, name = `${this.name}<->${other.name}`): SimLink {
    const link = this.#network.link(name)
    const mine: PeerConnection = { relay: other, link, direction: Directions.Up }
    const theirs: PeerConnection = { relay: this, link, direction: Directions.Down }
    this.#peers.push(mine)
    other.#peers.push(theirs)
    const up = () => {
      this.#sendDigest(mine)
      other.#sendDigest(theirs)
    }
    link.onRestore(up)
    up()
    return link
  }

  #enqueue(task: () => void | Promise<void>): void {
    this.#chain = this.#network.track(
      this.#chain.then(task).catch((error: unknown) => {
        this.failures.push(error)
      }),
    )
  }

  #close(conn: ClientConnection): void {
    if (!conn.open) return
    conn.open = false
    conn.offCut()
    this.#clients.delete(conn)
  }

  #getDoc(docId: DocId): Y.Doc {
    let doc = this.#docs.get(docId)
    if (doc === undefined) {
      doc = new Y.Doc({ gc: false })
      this.#docs.set(docId, doc)
      this.#logs.set(docId, [])
    }
    return doc
  }

  #error(conn: ClientConnection, code: string, message: string, docId?: DocId, ref?: number) {
    const error: { code: string; message: string; docId?: DocId; ref?: number } = { code, message }
    if (docId !== undefined) error.docId = docId
    if (ref !== undefined) error.ref = ref
    conn.send({ t: 'error', error })
  }

  async #onClientFrame(conn: ClientConnection, frame: ClientFrame): Promise<void> {
    if (!conn.open) return
    switch (frame.t) {
      case 'hello': {
        if (conn.claimed !== null) {
          this.#error(conn, RelayErrorCodes.BadFrame, 'hello was already sent')
          return
        }
        conn.claimed = frame.userId
        conn.nonce = globalThis.crypto.getRandomValues(new Uint8Array(32))
        conn.send({ t: 'challenge', nonce: conn.nonce })
        return
      }
      case 'auth': {
        const ok = await this.#checkAuth(conn, frame.signature)
        if (!ok) {
          this.#error(conn, RelayErrorCodes.Unauthenticated, 'the challenge signature is invalid')
          conn.send({ t: 'close', reason: 'unauthenticated' })
          this.#close(conn)
          return
        }
        conn.userId = conn.claimed
        conn.send({ t: 'welcome', relay: this.name })
        return
      }
      case 'bye':
        this.#close(conn)
        return
      default:
        break
    }
    if (conn.userId === null) {
      this.#error(conn, RelayErrorCodes.Unauthenticated, `"${frame.t}" before authentication`)
      return
    }
    switch (frame.t) {
      case 'subscribe':
        this.#subscribe(conn, frame.subscriptions)
        return
      case 'unsubscribe':
        for (const docId of frame.docIds) conn.subscribed.delete(docId)
        return
      case 'update':
        await this.#clientUpdate(conn, conn.userId, frame.docId, frame.update, frame.ref)
        return
      case 'awareness':
        this.#awareness(conn, frame.docId, frame.payload)
        return
    }
  }

  async #checkAuth(conn: ClientConnection, signature: Uint8Array): Promise<boolean> {
    if (conn.claimed === null || conn.nonce === null || conn.userId !== null) return false
    let publicKey: Uint8Array
    try {
      publicKey = publicKeyFromUserId(conn.claimed)
    } catch {
      return false
    }
    return verify(publicKey, authMessage(this.name, conn.nonce), signature)
  }

  #subscribe(
    conn: ClientConnection,
    subscriptions: readonly { docId: DocId; stateVector: Uint8Array }[],
  ) {
    const docs: SyncedDoc[] = []
    for (const { docId, stateVector } of subscriptions) {
      if (!isDocId(docId)) {
        this.#error(conn, RelayErrorCodes.BadDocId, `bad document id "${String(docId)}"`, docId)
        continue
      }
      const doc = this.#getDoc(docId)
      let update: Uint8Array
      try {
        update = Y.encodeStateAsUpdate(doc, stateVector)
      } catch {
        this.#error(conn, RelayErrorCodes.BadFrame, 'the state vector does not decode', docId)
        continue
      }
      conn.subscribed.add(docId)
      docs.push({ docId, update, stateVector: Y.encodeStateVector(doc) })
    }
    conn.send({ t: 'synced', docs })
  }

  /** Relays an awareness update to the document's other subscribers; stores nothing. */
  #awareness(conn: ClientConnection, docId: DocId, payload: Uint8Array): void {
    if (!conn.subscribed.has(docId)) {
      this.#error(
        conn,
        RelayErrorCodes.NotSubscribed,
        'subscribe to a document before sending its awareness',
        docId,
      )
      return
    }
    for (const c of this.#clients) {
      if (c !== conn && c.open && c.subscribed.has(docId)) {
        c.send({ t: 'awareness', docId, payload: payload.slice() })
      }
    }
  }

  async #clientUpdate(
    conn: ClientConnection,
    uploader: UserId,
    docId: DocId,
    update: Uint8Array,
    ref: number,
  ): Promise<void> {
    if (!isDocId(docId)) {
      this.#error(conn, RelayErrorCodes.BadDocId, `bad document id "${String(docId)}"`, docId, ref)
      return
    }
    const owner = parseDocId(docId).owner
    const doc = this.#getDoc(docId)
    let result: Awaited<ReturnType<typeof checkUpdate>>
    try {
      result = await checkUpdate(docId, doc, update, {
        uploader,
        blocked: this.blockedBy(owner),
        verifier: this.#verifier,
      })
    } catch (error) {
      this.#error(
        conn,
        RelayErrorCodes.BadFrame,
        `the update could not be checked: ${String(error)}`,
        docId,
        ref,
      )
      return
    }
    if (!result.ok) {
      conn.send({
        t: 'error',
        error: {
          code: RelayErrorCodes.Refused,
          rule: result.rule,
          docId,
          ref,
          message: result.message,
        },
      })
      return
    }
    await this.#accept(docId, doc, update, result.changed, conn)
    if (conn.open) conn.send({ t: 'ack', docId, ref })
  }

  /**
   * Applies an update the guard accepted, stores what it changed, then
   * forwards that to every subscriber and peer except `source`.
   */
  async #accept(
    docId: DocId,
    doc: Y.Doc,
    update: Uint8Array,
    changed: boolean,
    source: Source,
  ): Promise<void> {
    const diffs: Uint8Array[] = []
    const listener = (u: Uint8Array) => {
      diffs.push(u)
    }
    doc.on('update', listener)
    try {
      Y.applyUpdate(doc, update, source)
    } finally {
      doc.off('update', listener)
    }
    const diff = diffs.length === 0 ? null : diffs.length === 1 ? diffs[0]! : Y.mergeUpdates(diffs)
    // An update waiting for missing dependencies changes nothing yet, but was
    // accepted: store it as it came so an acknowledged write is never lost.
    const toStore = diff ?? (changed ? update : null)
    if (toStore === null) return
    await this.#store(docId, toStore)
    this.#logs.get(docId)!.push(toStore)
    if (diff === null) return
    for (const c of this.#clients) {
      if (c !== source && c.open && c.subscribed.has(docId)) {
        c.send({ t: 'update', docId, update: diff })
      }
    }
    for (const p of this.#peers) {
      if (p !== source) this.#sendPeer(p, { t: 'update', docId, update: diff })
    }
  }

  #sendPeer(p: PeerConnection, frame: PeerFrame): void {
    const target = p.relay
    const back = target.#peers.find((q) => q.link === p.link && q.relay === this)
    if (back === undefined) return
    p.link.send(p.direction, () => target.#enqueue(() => target.#onPeerFrame(back, frame)), {
      duplicable: frame.t === 'update',
    })
  }

  #sendDigest(p: PeerConnection): void {
    this.#enqueue(() => {
      const docs = [...this.#docs].map(([docId, doc]) => ({
        docId,
        stateVector: Y.encodeStateVector(doc),
      }))
      this.#sendPeer(p, { t: 'digest', docs, complete: true })
    })
  }

  async #onPeerFrame(p: PeerConnection, frame: PeerFrame): Promise<void> {
    if (frame.t === 'digest') {
      const theirs = new Map(frame.docs.map((d) => [d.docId, d.stateVector]))
      const docIds = frame.complete ? this.#docs.keys() : theirs.keys()
      for (const docId of docIds) {
        const doc = this.#docs.get(docId)
        if (doc === undefined) continue
        const update = Y.encodeStateAsUpdate(doc, theirs.get(docId))
        this.#sendPeer(p, { t: 'update', docId, update })
      }
      return
    }
    if (!isDocId(frame.docId)) {
      this.peerRefused++
      return
    }
    const doc = this.#getDoc(frame.docId)
    const result = await checkUpdate(frame.docId, doc, frame.update, {
      trustedPeer: true,
      verifier: this.#verifier,
    })
    if (!result.ok) {
      if (result.rule === GuardRules.MissingDependency) {
        const docs = [{ docId: frame.docId, stateVector: Y.encodeStateVector(doc) }]
        this.#sendPeer(p, { t: 'digest', docs, complete: false })
      } else {
        this.peerRefused++
      }
      return
    }
    await this.#accept(frame.docId, doc, frame.update, result.changed, p)
  }
}
