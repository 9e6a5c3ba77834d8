/**
 * Resumable catch-up for one relay (see `protocol/messages.ts`, point 4):
 * which `{ epoch, seq }` of the relay a reconnecting client may send as
 * `resume`, and for which documents.
 *
 * A relay answering a `SUBSCRIBE` with `resume` skips every document that
 * did not change after `seq`. That is only safe for documents the client
 * had fully received up to `seq`: documents that were subscribed, answered
 * (`SYNCED` complete) and kept live on the connection when the relay said
 * `seq`. A document subscribed for the first time, or one unsubscribed
 * before that point (it missed later changes), must be subscribed without
 * `resume`. So this tracker keeps:
 *
 * - per connection, the documents subscribed, the `SUBSCRIBE` frames
 *   waiting for their last `SYNCED` (answered in order), and the documents
 *   live (answered and still subscribed);
 * - across connections, the resume point (of the last complete answer) and
 *   the documents current at it: the live set at that moment.
 *
 * It also keeps the subscription sets (core's `protocol/subscriptionSets.ts`)
 * this relay answered, the most recent few: a reconnect names the
 * documents it resumes as a `SUBSCRIBE_SET`, as the smallest change to one
 * of them (an unchanged set is 16 bytes), or in full when none is close.
 *
 * In memory only: a new transport (a restarted app) starts without.
 *
 * @module
 */
import type { DocId } from '../docIds.js'
import {
  MessageTypes,
  type ResumePoint,
  type SubscribeSetMessage,
  type SyncedMessage,
} from '../protocol/messages.js'
import { setIdKey, subscriptionSetId } from '../protocol/subscriptionSets.js'
import type { Subscription } from './Transport.js'

/** How many answered subscription sets a transport keeps as bases. */
const KNOWN_SETS = 4

/** A subscription set the relay answered. */
interface KnownSet {
  id: Uint8Array
  key: string
  docs: ReadonlySet<DocId>
}

const noStateVector = new Uint8Array(0)

/** How to send one subscription request: the part that may resume, and the part that must not. */
export interface ResumePlan {
  /** The point to send with {@link ResumePlan.resumable}; absent when nothing may resume. */
  resume?: ResumePoint
  /** Subscriptions of documents current at `resume`. */
  resumable: Subscription[]
  /** The other subscriptions (sent without `resume`). */
  fresh: Subscription[]
}

/** The resume point of one relay and the documents it covers. */
export class WebSocketResume {
  #point: ResumePoint | undefined
  #current = new Set<DocId>()
  #subscribed = new Set<DocId>()
  #live = new Set<DocId>()
  #inFlight: DocId[][] = []
  #sets: KnownSet[] = []

  /** The relay's `{ epoch, seq }` at the last complete `SYNCED`, if any. */
  get point(): ResumePoint | undefined {
    return this.#point === undefined ? undefined : { ...this.#point }
  }

  /** The documents current at {@link WebSocketResume.point}. */
  get current(): ReadonlySet<DocId> {
    return this.#current
  }

  /** Splits `subscriptions` for a relay whose `HELLO` announced `relayEpoch`. */
  plan(subscriptions: readonly Subscription[], relayEpoch: string): ResumePlan {
    const point = this.#point
    if (point === undefined || point.epoch !== relayEpoch) {
      return { resumable: [], fresh: [...subscriptions] }
    }
    const resumable: Subscription[] = []
    const fresh: Subscription[] = []
    for (const s of subscriptions) (this.#current.has(s.docId) ? resumable : fresh).push(s)
    return resumable.length > 0 ? { resume: { ...point }, resumable, fresh } : { resumable, fresh }
  }

  /**
   * The `SUBSCRIBE_SET` that resumes `docIds` (distinct) from `point`: the
   * smallest change to a set the relay answered, or with `full` (or when
   * none is close) every document. Documents go without state vectors: the
   * relay sends what changed after `point`.
   */
  setFrame(docIds: readonly DocId[], point: ResumePoint, full = false): SubscribeSetMessage {
    const setId = subscriptionSetId(docIds)
    const wanted = new Set(docIds)
    let best: { base: Uint8Array; add: DocId[]; remove: DocId[] } | undefined
    let cost = docIds.length
    for (const known of full ? [] : this.#sets) {
      const add = docIds.filter((docId) => !known.docs.has(docId))
      if (add.length >= cost) continue
      const remove = [...known.docs].filter((docId) => !wanted.has(docId))
      if (add.length + remove.length >= cost) continue
      best = { base: known.id, add, remove }
      cost = add.length + remove.length
    }
    const resume = { ...point }
    const add = (ids: readonly DocId[]) =>
      ids.map((docId) => ({ docId, stateVector: noStateVector }))
    if (best === undefined) {
      return { type: MessageTypes.SubscribeSet, setId, add: add(docIds), remove: [], resume }
    }
    const { base, remove } = best
    return { type: MessageTypes.SubscribeSet, setId, base, add: add(best.add), remove, resume }
  }

  /** The relay answered the set `setId` of `docIds`: a base for later resumes. */
  knownSet(setId: Uint8Array, docIds: readonly DocId[]): void {
    const key = setIdKey(setId)
    this.#sets = this.#sets.filter((known) => known.key !== key)
    this.#sets.unshift({ id: setId, key, docs: new Set(docIds) })
    this.#sets.length = Math.min(this.#sets.length, KNOWN_SETS)
  }

  /** The relay does not know the set `setId` (any more). */
  forgetSet(setId: Uint8Array): void {
    const key = setIdKey(setId)
    this.#sets = this.#sets.filter((known) => known.key !== key)
  }

  /** The oldest frame waiting for its answer was refused (`unknown-set`, `bad-set`): it gets none. */
  abandoned(): void {
    this.#inFlight.shift()
  }

  /** One `SUBSCRIBE` frame naming `docIds` went out on the open connection. */
  subscribed(docIds: readonly DocId[]): void {
    for (const docId of docIds) this.#subscribed.add(docId)
    this.#inFlight.push([...docIds])
  }

  /** An `UNSUBSCRIBE` naming `docIds` went out: they stop being current. */
  unsubscribed(docIds: readonly DocId[]): void {
    for (const docId of docIds) {
      this.#subscribed.delete(docId)
      this.#live.delete(docId)
      this.#current.delete(docId)
    }
  }

  /** A `SYNCED` frame arrived; the last one of an answer moves the resume point. */
  synced(msg: SyncedMessage): void {
    if (msg.more) return
    const answered = this.#inFlight.shift()
    if (answered === undefined) return
    for (const docId of answered) if (this.#subscribed.has(docId)) this.#live.add(docId)
    this.#point = { epoch: msg.epoch, seq: msg.seq }
    this.#current = new Set(this.#live)
  }

  /** The connection closed: its subscriptions end; the resume point and its documents stay. */
  closed(): void {
    this.#subscribed.clear()
    this.#live.clear()
    this.#inFlight = []
  }
}
