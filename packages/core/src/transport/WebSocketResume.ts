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
 * In memory only: a new transport (a restarted app) starts without.
 *
 * @module
 */
import type { DocId } from '../docIds.js'
import type { ResumePoint, SyncedMessage } from '../protocol/messages.js'
import type { Subscription } from './Transport.js'

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
