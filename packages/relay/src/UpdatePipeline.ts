/**
 * The way every update from a connection takes into the relay:
 *
 * 1. the document loads (on first use) and the update waits its turn in
 *    the document's serial queue, while its record signatures are
 *    verified ahead in parallel (`prewarmSignatures.ts`);
 * 2. the guard (core's `checkUpdate`) checks it against the current
 *    replica (built from the document's encoded state when the document
 *    is cold, see `LoadedDoc.ts`), with the connection's user as uploader and, for threads and
 *    rooms, the owner's block list read from the relay's `u/<owner>`;
 *    records above the size limit are refused too. A refused update is not
 *    applied, stored or forwarded;
 * 3. an accepted update that changes something is applied in memory and
 *    appended to the store; once the store has COMMITTED it, the sender is
 *    told (`stored`, then it acknowledges) and the change is forwarded to
 *    every other subscriber of the document and handed to the mesh
 *    (`onStored`), which pushes it to the peer relays. An update that
 *    changes nothing is `known`: reported once everything before it is
 *    durable, never stored or forwarded (re-sending is always safe), which
 *    is what keeps any mesh topology free of loops.
 *
 * Updates from a trusted peer relay (`trustedPeer`) pass the same guard
 * with `trustedPeer: true` (a peer carries other users' placeholders and
 * deletions) and without the block list and the record size limit: those
 * apply to what clients send, and what a peer relays was accepted by a
 * relay of the mesh already (refusing it here would split the mesh for
 * good).
 *
 * Commits of one document settle in order, so acknowledgements and
 * forwards keep the order of the writes. A failed commit reports `failed`
 * and rebuilds the replica from the store, so memory never stays ahead of
 * what is durable.
 */
import {
  checkUpdate,
  type DocId,
  GuardRules,
  isDocId,
  parseDocId,
  type RecordVerifier,
  type UserId,
  userDocId,
} from '@feedmesh/core'
import type { Logger } from 'pino'
import * as Y from 'yjs'
import { blockListOf } from './blockList.js'
import type { DocRegistry } from './DocRegistry.js'
import type { LoadedDoc } from './LoadedDoc.js'
import { OutgoingUpdate } from './OutgoingUpdate.js'
import { prewarmSignatures } from './prewarmSignatures.js'
import { RelayErrorCodes } from './relayErrors.js'
import type { RelayStore } from './store/RelayStore.js'

/** How one write ended; {@link WriteOutcome} is the union of these shapes. */
export const WriteOutcomes = {
  /** Accepted, changed the document, durably stored as change `seq`. */
  Stored: 'stored',
  /** Accepted, but everything in it was already known (nothing stored); what came before is durable. */
  Known: 'known',
  /** Refused (guard rule or size limit): nothing applied, stored or forwarded. */
  Refused: 'refused',
  /** The relay could not load or store it (not stored; retry later). */
  Failed: 'failed',
} as const

/** The outcome of one write. */
export type WriteOutcome =
  | { kind: typeof WriteOutcomes.Stored; seq: number }
  | { kind: typeof WriteOutcomes.Known }
  | { kind: typeof WriteOutcomes.Refused; code: string; rule: string; message: string }
  | { kind: typeof WriteOutcomes.Failed; code: string; message: string }

/** What a write is: the update, who sent it and where to report. */
export interface WriteRequest {
  /** The document. */
  docId: DocId
  /** The Yjs update. */
  update: Uint8Array
  /** The authenticated user of the connection; undefined when unauthenticated. */
  uploader: UserId | undefined
  /** The connection or peer link it came from (not forwarded back to it), compared by identity. */
  source: object | null
  /** True for an update from a trusted peer relay (see the module comment). */
  trustedPeer?: boolean
  /** Called once with the outcome, before the change is forwarded. */
  onDone: (outcome: WriteOutcome) => void
}

/** Options of an {@link UpdatePipeline}. */
export interface UpdatePipelineOptions {
  /** Loaded documents and subscribers. */
  registry: DocRegistry
  /** Where accepted changes are committed. */
  store: RelayStore
  /** The signature cache the guard uses. */
  verifier: RecordVerifier
  /** Largest record accepted (its JSON), in bytes. */
  maxRecordBytes: number
  /** Logger for failures. */
  logger: Logger
  /** Called with every stored change (after subscribers got it): the mesh pushes it to peers. */
  onStored?: StoredListener
}

/** One change the relay stored, as the mesh sees it. */
export interface StoredChange {
  /** The document. */
  docId: DocId
  /** What the change did to the replica (null: accepted but nothing applied yet, e.g. waiting for a missing part). */
  diff: Uint8Array | null
  /** Its sequence number. */
  seq: number
  /** The sequence number of the document's change before it (0: none). */
  previousSeq: number
  /** Where it came from (a connection or a peer link), compared by identity. */
  source: object | null
}

/** Receives every change the relay stored, in commit order per document. */
export type StoredListener = (change: StoredChange) => void

const encoder = new TextEncoder()

/** Guard, apply, commit, acknowledge, forward (see the module comment). */
export class UpdatePipeline {
  readonly #registry: DocRegistry
  readonly #store: RelayStore
  readonly #verifier: RecordVerifier
  readonly #maxRecordBytes: number
  readonly #logger: Logger
  readonly #onStored: StoredListener | undefined

  /** @param options registry, store, verifier, limits, logger, stored-change listener */
  constructor(options: UpdatePipelineOptions) {
    this.#registry = options.registry
    this.#store = options.store
    this.#verifier = options.verifier
    this.#maxRecordBytes = options.maxRecordBytes
    this.#logger = options.logger
    this.#onStored = options.onStored
  }

  /**
   * Starts one write: resolves once the update has its place in the
   * document's queue (after the document loaded), so writes started in
   * order keep their order per document. The outcome goes to
   * `request.onDone` exactly once, later. Never rejects.
   */
  async write(request: WriteRequest): Promise<void> {
    const { docId, onDone } = request
    if (!isDocId(docId)) {
      onDone({
        kind: WriteOutcomes.Refused,
        code: RelayErrorCodes.Refused,
        rule: GuardRules.BadDocId,
        message: `bad document id "${docId}"`,
      })
      return
    }
    const warmed = prewarmSignatures(request.update, this.#verifier)
    let doc: LoadedDoc
    try {
      doc = await this.#registry.acquire(docId)
    } catch (error) {
      this.#logger.error({ err: error, docId }, 'cannot load document')
      onDone({
        kind: WriteOutcomes.Failed,
        code: RelayErrorCodes.StorageFailed,
        message: String(error),
      })
      return
    }
    doc
      .enqueue(async () => {
        await warmed
        await this.#check(doc, request)
      })
      .catch((error: unknown) => {
        this.#logger.error({ err: error, docId }, 'write failed')
        onDone({
          kind: WriteOutcomes.Failed,
          code: RelayErrorCodes.Internal,
          message: String(error),
        })
      })
      .finally(() => this.#registry.release(doc))
  }

  async #blockList(docId: DocId): Promise<ReadonlySet<UserId> | undefined> {
    const parsed = parseDocId(docId)
    if (parsed.kind !== 't' && parsed.kind !== 'r') return undefined
    return this.#registry.using(userDocId(parsed.owner), (userDoc) => {
      userDoc.blockList ??= userDoc.inspect((replica) => blockListOf(replica, parsed.owner))
      return userDoc.blockList
    })
  }

  async #check(doc: LoadedDoc, request: WriteRequest): Promise<void> {
    const { docId, update, uploader, onDone } = request
    const trustedPeer = request.trustedPeer === true
    const blocked = trustedPeer ? undefined : await this.#blockList(docId)
    const options = {
      verifier: this.#verifier,
      ...(blocked === undefined ? {} : { blocked }),
      ...(trustedPeer ? { trustedPeer } : {}),
    }
    const replica = doc.replica()
    const result = await checkUpdate(
      docId,
      replica,
      update,
      uploader === undefined ? options : { ...options, uploader },
    )
    if (!result.ok) {
      onDone({
        kind: WriteOutcomes.Refused,
        code: RelayErrorCodes.Refused,
        rule: result.rule,
        message: result.message,
      })
      return
    }
    for (const record of trustedPeer ? [] : result.records) {
      const size = encoder.encode(JSON.stringify(record)).length
      if (size > this.#maxRecordBytes) {
        onDone({
          kind: WriteOutcomes.Refused,
          code: RelayErrorCodes.RecordTooLarge,
          rule: '',
          message: `record ${record.author}/${record.id} has ${size} bytes, more than the limit of ${this.#maxRecordBytes}`,
        })
        return
      }
    }
    if (!result.changed) {
      doc.pendingWrites++
      doc.afterCommits(async () => {
        doc.pendingWrites--
        onDone({ kind: WriteOutcomes.Known })
      })
      return
    }
    const diff = applyCapturing(replica, update)
    // an update waiting for a missing part changes nothing yet but was accepted: store it as it came
    const appended = this.#store.append(docId, diff ?? update)
    appended.catch(() => {}) // settled in order below
    doc.pendingWrites++
    if (doc.docId.startsWith('u/')) doc.blockList = undefined
    doc.afterCommits(async () => {
      let seq: number
      try {
        seq = await appended
      } catch (error) {
        doc.pendingWrites--
        this.#logger.error({ err: error, docId }, 'commit failed: the update is not stored')
        onDone({
          kind: WriteOutcomes.Failed,
          code: RelayErrorCodes.StorageFailed,
          message: `the update could not be stored: ${String(error)}`,
        })
        await this.#rebuild(doc)
        return
      }
      doc.pendingWrites--
      const previousSeq = doc.seq
      doc.seq = Math.max(doc.seq, seq)
      onDone({ kind: WriteOutcomes.Stored, seq })
      if (diff !== null) this.#forward(docId, diff, request.source)
      try {
        this.#onStored?.({ docId, diff, seq, previousSeq, source: request.source })
      } catch (error) {
        this.#logger.warn({ err: error, docId }, 'the stored-change listener failed')
      }
    })
  }

  async #rebuild(doc: LoadedDoc): Promise<void> {
    try {
      await doc.enqueue(() => this.#registry.reload(doc))
    } catch (error) {
      this.#logger.error(
        { err: error, docId: doc.docId },
        'cannot rebuild the document from the store',
      )
    }
  }

  /** Hands one change to every other subscriber: one {@link OutgoingUpdate}, so each endpoint's frame is encoded once. */
  #forward(docId: DocId, diff: Uint8Array, source: object | null): void {
    const subscribers = this.#registry.subscribersOf(docId)
    if (subscribers.size === 0) return
    const outgoing = new OutgoingUpdate(docId, diff)
    for (const subscriber of subscribers) {
      if (subscriber === source) continue
      try {
        subscriber.deliverUpdate(outgoing)
      } catch (error) {
        this.#logger.warn({ err: error, docId }, 'cannot forward an update')
      }
    }
  }
}

/** Applies `update` to `doc` and returns what it changed (merged), or null when nothing. */
function applyCapturing(doc: Y.Doc, update: Uint8Array): Uint8Array | null {
  const diffs: Uint8Array[] = []
  const listener = (u: Uint8Array) => {
    diffs.push(u)
  }
  doc.on('update', listener)
  try {
    Y.applyUpdate(doc, update)
  } finally {
    doc.off('update', listener)
  }
  if (diffs.length === 0) return null
  return diffs.length === 1 ? diffs[0]! : Y.mergeUpdates(diffs)
}
