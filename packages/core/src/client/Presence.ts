/**
 * Presence in one document (who is in a room, who is typing a comment): a
 * `y-protocols/awareness` instance whose updates travel as `AWARENESS`
 * frames through the relay in use, which relays them to the document's
 * other subscribers and never stores them. Soft state: nothing is written
 * to storage or to the outbox; offline, nothing is sent.
 *
 * Exchange:
 * - the local state (set with {@link Presence.set}) is sent on every
 *   change, renewed by the awareness instance every 15 s, and
 *   re-announced (with a new clock) whenever the document's subscription is
 *   answered on a connection (after every (re)connect and failover);
 * - the relay keeps no presence, so a newcomer learns about the others
 *   this way: when a state arrives from a client id this side did not know
 *   (or had timed out), this side re-announces its own state once (in a
 *   microtask, so many newcomers cost one announcement);
 * - a state not renewed for 30 s is dropped (awareness timeout); closing
 *   the presence sends a `null` state, so the others drop it at once.
 *
 * The wire state is the app's object with `user` set to this client's user
 * id. A relay passes on only states whose `user` is the user its sender
 * authenticated as (others are refused with `awareness-refused`), so
 * `user` is as trustworthy as the relay; it is not signed.
 */
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { DocId } from '../docIds.js'
import { isUserId, type UserId } from '../Identity.js'
import type { DocStore } from './DocStore.js'
import type { LiveQuery } from './LiveQuery.js'
import type { SyncEngine } from './SyncEngine.js'

/** The state a presence shows: any JSON object; `user` is set by the client. */
export type PresenceState = Record<string, unknown>

/** One other participant present in the document. */
export interface PresencePeer {
  /** The peer's awareness client id (one per open presence: a tab or device). */
  clientId: number
  /** The peer's user id (its state's `user`, checked by the relay), when it is one. */
  user?: UserId
  /** The peer's whole state, as it sent it. */
  state: PresenceState
}

/** What a {@link Presence} shows. */
export interface PresenceView {
  /** The others present, by client id. */
  peers: PresencePeer[]
  /** This client's own state (with `user`), or `null` when invisible. */
  self: PresenceState | null
}

/** Options of a {@link Presence}. */
export interface PresenceOptions {
  /** The client's sync engine. */
  engine: SyncEngine
  /** The client's documents (the document is held open, so it stays subscribed). */
  store: DocStore
  /** The document. */
  docId: DocId
  /** This client's user id, put into the state as `user`. */
  userId: UserId
  /** The first local state; `null` or absent: watch without being shown. */
  initial?: PresenceState | null
  /** Called once when the presence closes. */
  onClose?: () => void
}

const Local = 'local'
const Remote = 'feedmesh:remote'

/** Presence in one document, as a live query (see the module comment). */
export class Presence implements LiveQuery<PresenceView> {
  /** The document. */
  readonly docId: DocId
  /** Resolves once the document is open (and so subscribed when online). */
  readonly ready: Promise<PresenceView>
  readonly #engine: SyncEngine
  readonly #store: DocStore
  readonly #userId: UserId
  readonly #doc = new Y.Doc()
  readonly #awareness: awarenessProtocol.Awareness
  readonly #listeners = new Set<(value: PresenceView) => void>()
  readonly #unlisten: (() => void)[] = []
  readonly #onClose: (() => void) | undefined
  #view: PresenceView = { peers: [], self: null }
  #announcing = false
  #closed = false

  /** @param options engine, store, document, user and first state */
  constructor(options: PresenceOptions) {
    this.docId = options.docId
    this.#engine = options.engine
    this.#store = options.store
    this.#userId = options.userId
    this.#onClose = options.onClose
    const awareness = new awarenessProtocol.Awareness(this.#doc)
    this.#awareness = awareness
    // The constructor's state has clock 0, which no peer applies: start at clock 1.
    awareness.setLocalState(this.#wireState(options.initial ?? null))
    awareness.on('update', (_changes: unknown, origin: unknown) => {
      if (origin === Local) this.#send()
    })
    awareness.on('change', () => this.#refresh())
    this.#unlisten.push(
      this.#engine.onAwareness((docId, payload) => {
        if (docId === this.docId) this.#receive(payload)
      }),
      this.#engine.onAnswered((docId) => {
        if (docId === this.docId) this.#announce()
      }),
    )
    this.#refresh()
    this.ready = this.#store.acquire(this.docId).then(() => this.#view)
    this.ready.catch(() => undefined)
    this.#send()
  }

  /** {@inheritDoc LiveQuery.current} */
  get current(): PresenceView {
    return this.#view
  }

  /** This presence's awareness client id (as others see it in {@link PresencePeer.clientId}). */
  get clientId(): number {
    return this.#awareness.clientID
  }

  /**
   * Sets this client's state (e.g. `{ typing: true }`), shown to the others
   * with `user` added; `null` hides this client.
   */
  set(state: PresenceState | null): void {
    if (this.#closed) return
    this.#awareness.setLocalState(this.#wireState(state))
  }

  /** {@inheritDoc LiveQuery.subscribe} */
  subscribe(listener: (value: PresenceView) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Leaves: sends a `null` state, stops listening, releases the document. */
  close(): void {
    if (this.#closed) return
    this.#awareness.setLocalState(null)
    this.#closed = true
    for (const off of this.#unlisten.splice(0)) off()
    this.#listeners.clear()
    this.#awareness.destroy()
    this.#doc.destroy()
    this.#store.release(this.docId)
    this.#onClose?.()
  }

  #wireState(state: PresenceState | null): PresenceState | null {
    return state === null ? null : { ...state, user: this.#userId }
  }

  /** Sends this client's entry (its state, or `null`) if the document is subscribed. */
  #send(): void {
    if (this.#closed) return
    const awareness = this.#awareness
    const payload = awarenessProtocol.encodeAwarenessUpdate(awareness, [awareness.clientID])
    this.#engine.sendAwareness(this.docId, payload)
  }

  /** Re-announces this client's entry with a new clock (so peers that timed it out take it again). */
  #announce(): void {
    if (this.#closed) return
    this.#awareness.setLocalState(this.#awareness.getLocalState())
  }

  #receive(payload: Uint8Array): void {
    if (this.#closed) return
    const awareness = this.#awareness
    const knownMeta = new Set(awareness.meta.keys())
    const knownStates = new Set(awareness.states.keys())
    try {
      awarenessProtocol.applyAwarenessUpdate(awareness, payload, Remote)
    } catch {
      return // a peer's malformed payload: ignore it
    }
    let newcomer = false
    for (const id of awareness.meta.keys()) if (!knownMeta.has(id)) newcomer = true
    for (const id of awareness.states.keys()) if (!knownStates.has(id)) newcomer = true
    if (!newcomer || this.#announcing || awareness.getLocalState() === null) return
    this.#announcing = true
    queueMicrotask(() => {
      this.#announcing = false
      this.#announce()
    })
  }

  #refresh(): void {
    if (this.#closed) return
    const awareness = this.#awareness
    const peers: PresencePeer[] = []
    for (const [clientId, state] of awareness.getStates()) {
      if (clientId === awareness.clientID) continue
      const peer: PresencePeer = { clientId, state: { ...state } }
      const user: unknown = state.user
      if (isUserId(user)) peer.user = user
      peers.push(peer)
    }
    peers.sort((a, b) => a.clientId - b.clientId)
    const local = awareness.getLocalState()
    this.#view = { peers, self: local === null ? null : { ...local } }
    for (const listener of [...this.#listeners]) listener(this.#view)
  }
}
