/**
 * The catch-up rounds of one peer link: how this relay pulls what changed
 * on the peer since the last time, and how its cursor on the peer moves.
 *
 * A round asks `CHANGES_SINCE` with the cursor stored for the peer (its
 * epoch and the last sequence received). The peer answers `CHANGES`: a
 * batch of the documents it changed since (from sequence 0 with its new
 * epoch when the epoch differs or the sequence is beyond its head: a full
 * reconciliation), leaving out the documents whose changes since all came
 * from this relay (`EchoIndex.ts`). The named documents are synced in one
 * `SUBSCRIBE` per batch with this relay's state vectors; the `SYNCED`
 * answer (what this relay lacks, and the peer's state vectors) goes
 * through the write pipeline as trusted-peer updates, and what the peer
 * lacks is pushed back as `UPDATE`s. Once every document of the batch is
 * durably stored here, the cursor advances (durably: the store commits it
 * after every append before it) to the batch's sequence; `more` asks
 * again.
 *
 * Rounds run one at a time: when the link opens, shortly after live
 * updates arrived (which is how the cursor follows live traffic), every
 * `syncIntervalMs`, and at once for documents whose live update was
 * refused for a missing dependency (a state-vector resync instead of a
 * drop). A failed round leaves the cursor where it was and is retried with
 * backoff; an answer that does not come in time closes the link.
 */
import {
  type ChangesMessage,
  CloseCodes,
  type DocId,
  GuardRules,
  isDocId,
  type Message,
  MessageTypes,
  type SyncedMessage,
  type UserId,
} from '@feedmesh/core'
import type { Logger } from 'pino'
import * as Y from 'yjs'
import type { RelayContext } from '../RelayContext.js'
import { Endpoints } from '../RelayMetrics.js'
import type { MeshOptions } from '../relayOptions.js'
import type { PeerCursor } from '../store/RelayStore.js'
import { type WriteOutcome, WriteOutcomes } from '../UpdatePipeline.js'
import { backoffDelay } from './backoff.js'
import type { PeerStats } from './PeerStats.js'

/** What the rounds need from their link. */
export interface CatchUpLink {
  /** True while the link is open. */
  readonly open: boolean
  /** Sends a message to the peer. */
  send(msg: Message): void
  /** Closes the link. */
  close(code: number, reason: string): void
}

/** What a {@link CatchUp} is built from. */
export interface CatchUpInit {
  /** The relay's shared state. */
  ctx: RelayContext
  /** Mesh tuning. */
  options: MeshOptions
  /** The link the rounds run over. */
  link: CatchUpLink
  /** The source of the writes (the link object: not forwarded back to it). */
  source: object
  /** The peer's verified key. */
  peerId: UserId
  /** The peer's figures. */
  stats: PeerStats
  /** The link's logger. */
  log: Logger
}

/** An error that ends a round (the cursor stays where it was). */
class RoundError extends Error {
  override readonly name = 'RoundError'
}

/** A request waiting for its answer. */
interface Waiter<T> {
  resolve: (value: T) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

const EMPTY_UPDATE_LENGTH = 2

/** The catch-up rounds of one link (see the module comment). */
export class CatchUp {
  readonly #ctx: RelayContext
  readonly #options: MeshOptions
  readonly #link: CatchUpLink
  readonly #source: object
  readonly #peerId: UserId
  readonly #stats: PeerStats
  readonly #log: Logger
  #roundTimer: NodeJS.Timeout | undefined
  #roundDue = Number.POSITIVE_INFINITY
  #roundRunning = false
  #roundAgain = false
  #roundFailures = 0
  #stopped = false
  readonly #resync = new Set<DocId>()
  readonly #tooLarge = new Set<DocId>()
  #changesWaiter: Waiter<ChangesMessage> | undefined
  #syncedWaiter: Waiter<SyncedMessage[]> | undefined
  #syncedFrames: SyncedMessage[] = []

  /** @param init context, tuning, link, peer, figures, logger */
  constructor(init: CatchUpInit) {
    this.#ctx = init.ctx
    this.#options = init.options
    this.#link = init.link
    this.#source = init.source
    this.#peerId = init.peerId
    this.#stats = init.stats
    this.#log = init.log
  }

  /** Resyncs `docId` by state vectors in a round that starts at once. */
  resync(docId: DocId): void {
    this.#resync.add(docId)
    this.schedule(0)
  }

  /** A `CHANGES` frame arrived. */
  onChanges(msg: ChangesMessage): void {
    const waiter = this.#changesWaiter
    this.#changesWaiter = undefined
    this.#settle(waiter, msg, 'CHANGES')
  }

  /** The peer reported a document too large to answer (it is not waited for). */
  tooLarge(docId: DocId): void {
    this.#tooLarge.add(docId)
  }

  /** Stops: no more rounds; a waiting request fails. */
  stop(reason: string): void {
    this.#stopped = true
    clearTimeout(this.#roundTimer)
    const error = new RoundError(reason)
    for (const waiter of [this.#changesWaiter, this.#syncedWaiter]) {
      if (waiter === undefined) continue
      clearTimeout(waiter.timer)
      waiter.reject(error)
    }
    this.#changesWaiter = undefined
    this.#syncedWaiter = undefined
  }

  #open(): boolean {
    return !this.#stopped && this.#link.open
  }

  /** Runs a round within `delayMs` (sooner when one is already due sooner). */
  schedule(delayMs: number): void {
    if (!this.#open()) return
    if (this.#roundRunning) {
      this.#roundAgain = true
      return
    }
    const due = performance.now() + delayMs
    if (this.#roundTimer !== undefined && this.#roundDue <= due) return
    clearTimeout(this.#roundTimer)
    this.#roundDue = due
    this.#roundTimer = setTimeout(() => {
      this.#roundTimer = undefined
      this.#roundDue = Number.POSITIVE_INFINITY
      void this.#runRound()
    }, delayMs)
    this.#roundTimer.unref()
  }

  async #runRound(): Promise<void> {
    if (!this.#open() || this.#roundRunning) return
    const stats = this.#stats
    this.#roundRunning = true
    this.#roundAgain = false
    stats.syncing = true
    let ok = false
    const resync = [...this.#resync]
    this.#resync.clear()
    try {
      await this.#round(resync)
      ok = true
      this.#roundFailures = 0
    } catch (error) {
      for (const docId of resync) this.#resync.add(docId)
      this.#roundFailures++
      if (this.#open()) {
        const message = error instanceof Error ? error.message : String(error)
        stats.lastError = `catch-up: ${message}`
        this.#log.warn({ err: error, failures: this.#roundFailures }, 'catch-up round failed')
      }
    } finally {
      this.#roundRunning = false
      stats.syncing = false
      stats.round(ok)
    }
    if (!this.#open()) return
    if (!ok) {
      this.schedule(
        backoffDelay(
          this.#roundFailures - 1,
          this.#options.retryMinMs,
          this.#options.syncIntervalMs,
        ),
      )
    } else if (this.#roundAgain || this.#resync.size > 0) {
      this.schedule(this.#resync.size > 0 ? 0 : this.#options.syncDebounceMs)
    } else {
      this.schedule(this.#options.syncIntervalMs)
    }
  }

  /** One round (see the module comment); throws {@link RoundError} or a closing error. */
  async #round(resync: readonly DocId[]): Promise<void> {
    const { store } = this.#ctx
    const stats = this.#stats
    const peerId = this.#peerId
    let cursor: PeerCursor = (await store.getPeerCursor(peerId)) ?? { epoch: '', seq: 0 }
    stats.cursor = cursor
    let extra: readonly DocId[] = resync
    for (;;) {
      const changes = await this.#ask(cursor)
      stats.sawSeq(changes.epoch, changes.seq)
      if (changes.epoch !== cursor.epoch || changes.seq < cursor.seq) {
        if (cursor.epoch !== '' && changes.epoch !== cursor.epoch) {
          this.#log.info(
            { from: cursor.epoch, to: changes.epoch },
            'the peer has a new epoch: full reconciliation',
          )
        }
        if (cursor.seq > 0 || cursor.epoch !== changes.epoch) stats.add('fullReconciliations')
      }
      const docIds = new Set<DocId>(changes.docIds)
      for (const docId of extra) docIds.add(docId)
      extra = []
      const ids = [...docIds]
      for (let i = 0; i < ids.length; i += this.#options.batchDocs) {
        await this.#syncDocs(ids.slice(i, i + this.#options.batchDocs))
      }
      const next = { epoch: changes.epoch, seq: changes.seq }
      await store.setPeerCursor(peerId, next)
      cursor = next
      stats.cursor = next
      if (!changes.more) return
    }
  }

  #ask(cursor: PeerCursor): Promise<ChangesMessage> {
    if (this.#changesWaiter !== undefined)
      throw new RoundError('a CHANGES_SINCE is already waiting')
    const answer = new Promise<ChangesMessage>((resolve, reject) => {
      this.#changesWaiter = { resolve, reject, timer: this.#answerTimer('CHANGES') }
    })
    this.#link.send({ type: MessageTypes.ChangesSince, epoch: cursor.epoch, seq: cursor.seq })
    return answer
  }

  #answerTimer(what: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#log.warn(`no ${what} answer from the peer in time: closing the link`)
      this.#link.close(CloseCodes.IdleTimeout, `no ${what} answer in time`)
    }, this.#options.answerTimeoutMs)
    timer.unref()
    return timer
  }

  #settle<T>(waiter: Waiter<T> | undefined, value: T, what: string): void {
    if (waiter === undefined) {
      this.#log.debug(`unexpected ${what} from the peer: ignored`)
      return
    }
    clearTimeout(waiter.timer)
    waiter.resolve(value)
  }

  /** A `SYNCED` frame arrived. */
  onSynced(msg: SyncedMessage): void {
    if (this.#syncedWaiter === undefined) {
      this.#log.debug('unexpected SYNCED from the peer: ignored')
      return
    }
    this.#syncedFrames.push(msg)
    if (msg.more) return
    const frames = this.#syncedFrames
    this.#syncedFrames = []
    const waiter = this.#syncedWaiter
    this.#syncedWaiter = undefined
    this.#settle(waiter, frames, 'SYNCED')
  }

  /** Syncs one batch of documents both ways; resolves once what arrived is durable here. */
  async #syncDocs(docIds: readonly DocId[]): Promise<void> {
    const { registry } = this.#ctx
    const stats = this.#stats
    const mine = new Map<DocId, Uint8Array>()
    for (const docId of docIds) {
      if (!isDocId(docId)) continue
      mine.set(docId, await registry.using(docId, (doc) => doc.stateVector()))
    }
    if (mine.size === 0) return
    this.#tooLarge.clear()
    const answer = new Promise<SyncedMessage[]>((resolve, reject) => {
      this.#syncedFrames = []
      this.#syncedWaiter = { resolve, reject, timer: this.#answerTimer('SYNCED') }
    })
    this.#link.send({
      type: MessageTypes.Subscribe,
      subscriptions: [...mine].map(([docId, stateVector]) => ({ docId, stateVector })),
    })
    stats.add('docsSynced', mine.size)
    const frames = await answer
    const theirs = new Map<DocId, Uint8Array>()
    const writes: Promise<WriteOutcome>[] = []
    for (const frame of frames) {
      for (const entry of frame.docs) {
        if (!mine.has(entry.docId) || theirs.has(entry.docId)) continue
        theirs.set(entry.docId, entry.stateVector)
        writes.push(this.#write(entry.docId, entry.update))
      }
    }
    const outcomes = await Promise.all(writes)
    let updated = 0
    let failed = 0
    outcomes.forEach((outcome) => {
      if (outcome.kind === WriteOutcomes.Stored) updated++
      else if (outcome.kind === WriteOutcomes.Failed) failed++
      else if (outcome.kind === WriteOutcomes.Refused) {
        if (outcome.rule === GuardRules.MissingDependency) failed++
        else this.#ctx.metrics.refused.inc({ rule: outcome.rule || outcome.code })
      }
    })
    stats.add('docsUpdated', updated)
    for (const [docId, stateVector] of theirs) await this.#pushBack(docId, stateVector)
    const missing = [...mine.keys()].filter((d) => !theirs.has(d) && !this.#tooLarge.has(d))
    if (failed > 0 || missing.length > 0) {
      throw new RoundError(
        `${failed} document(s) not stored, ${missing.length} not answered by the peer`,
      )
    }
  }

  /** Writes what the peer sent through the pipeline; resolves with the outcome. */
  #write(docId: DocId, update: Uint8Array): Promise<WriteOutcome> {
    if (update.length <= EMPTY_UPDATE_LENGTH && update.every((b) => b === 0)) {
      return Promise.resolve({ kind: WriteOutcomes.Known })
    }
    return new Promise<WriteOutcome>((resolve) => {
      void this.#ctx.pipeline.write({
        docId,
        update,
        uploader: undefined,
        trustedPeer: true,
        source: this.#source,
        onDone: (outcome) => {
          this.#ctx.metrics.updatesIn.inc({ endpoint: Endpoints.Mesh, result: outcome.kind })
          if (outcome.kind === WriteOutcomes.Refused) {
            this.#log.warn(
              { docId, rule: outcome.rule },
              `catch-up update refused: ${outcome.message}`,
            )
          }
          resolve(outcome)
        },
      })
    })
  }

  /** Sends the peer what it lacks of a document (items beyond its state vector), once durable here. */
  async #pushBack(docId: DocId, theirs: Uint8Array): Promise<void> {
    if (!this.#open()) return
    let update: Uint8Array | undefined
    let seq = 0
    await this.#ctx.registry.using(docId, async (doc) => {
      let peerClocks: Map<number, number>
      try {
        peerClocks = Y.decodeStateVector(theirs)
      } catch {
        return
      }
      let lacks = false
      for (const [client, clock] of Y.decodeStateVector(doc.stateVector())) {
        if ((peerClocks.get(client) ?? 0) < clock) {
          lacks = true
          break
        }
      }
      if (!lacks) return
      update = doc.diff(theirs)
      seq = doc.seq
      await doc.committed()
    })
    if (update === undefined || !this.#open()) return
    this.#stats.add('updatesOut')
    this.#link.send({ type: MessageTypes.Update, docId, update, ref: seq })
  }
}
