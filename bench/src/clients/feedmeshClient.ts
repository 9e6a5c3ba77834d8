/**
 * The feedmesh client of the benchmark, at the transport level: one
 * `WebSocketTransport` (authenticated, with resume), one `SUBSCRIBE` of
 * every document (split by the transport only past the relay's batch
 * limit), each `SYNCED` applied into a fresh Y.Doc; synced when
 * `onCaughtUp` named every document. Catching up subscribes again with
 * the current state vectors and the relay's resume point. The writer
 * authenticates as each changed document's owner and resolves on every
 * `ACK` (the relay acknowledges once the write is committed to SQLite).
 */
import { type DocId, Identity, type TransportHandler, WebSocketTransport } from '@feedmesh/core'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { countingWebSocket, type Wire } from '../countingSocket.js'
import type { SeedDoc } from '../seedData.js'
import {
  type BenchClient,
  type BenchWriter,
  type ClientOptions,
  DEFAULT_SYNC_TIMEOUT_MS,
  withTimeout,
} from './BenchClient.js'

/** A feedmesh benchmark client for `docIds` on the relay at `url`. */
export function feedmeshClient(
  url: string,
  docIds: readonly string[],
  wire: Wire,
  options: ClientOptions = {},
): BenchClient {
  const docs = new Map<string, Y.Doc>(docIds.map((id) => [id, new Y.Doc()]))
  const transport = new WebSocketTransport({
    url,
    identity: Identity.generate(),
    WebSocket: countingWebSocket(wire),
    resume: true,
  })
  let pending = 0
  let done: (() => void) | undefined
  let failed: ((error: Error) => void) | undefined
  const handler: TransportHandler = {
    onOpen() {},
    onClose(reason) {
      failed?.(new Error(`feedmesh closed: ${reason}`))
    },
    onSynced(docId, update) {
      const doc = docs.get(docId)
      if (doc !== undefined) Y.applyUpdate(doc, update)
    },
    onCaughtUp(ids) {
      pending -= ids.length
      if (pending <= 0) done?.()
    },
    onUpdate(docId, update) {
      const doc = docs.get(docId)
      if (doc !== undefined) Y.applyUpdate(doc, update)
    },
    onAck() {},
    onError(error) {
      failed?.(new Error(`feedmesh error ${error.code}: ${error.message}`))
    },
    onAwareness() {},
  }
  const sync = (): Promise<void> => {
    const synced = new Promise<void>((resolve, reject) => {
      done = resolve
      failed = reject
    })
    pending = docs.size
    transport.connect(handler)
    transport.subscribe(
      [...docs].map(([docId, doc]) => ({
        docId: docId as DocId,
        stateVector: Y.encodeStateVector(doc),
      })),
    )
    return withTimeout(synced, options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS, 'feedmesh sync')
  }
  return {
    open: sync,
    async disconnect() {
      failed = undefined
      transport.disconnect()
    },
    catchUp: sync,
    doc: (docId) => docs.get(docId),
    async close() {
      failed = undefined
      transport.disconnect()
      for (const doc of docs.values()) doc.destroy()
    },
  }
}

/** A feedmesh writer on the relay at `url`: one authenticated transport per changed document's owner. */
export function feedmeshWriter(url: string): BenchWriter {
  const transports: WebSocketTransport[] = []
  return {
    async write(changes: readonly SeedDoc[]) {
      await withTimeout(
        Promise.all(
          changes.map(
            ({ docId, update, owner }) =>
              new Promise<void>((resolve, reject) => {
                if (owner === undefined) return reject(new Error(`no owner for ${docId}`))
                const transport = new WebSocketTransport({ url, identity: owner, WebSocket })
                transports.push(transport)
                transport.connect({
                  onOpen() {},
                  onClose(reason) {
                    reject(new Error(`feedmesh writer closed: ${reason}`))
                  },
                  onSynced() {},
                  onCaughtUp() {},
                  onUpdate() {},
                  onAck: () => resolve(),
                  onError(error) {
                    reject(new Error(`feedmesh writer error ${error.code}: ${error.message}`))
                  },
                  onAwareness() {},
                })
                transport.sendUpdate(docId as DocId, update, 1)
              }),
          ),
        ),
        DEFAULT_SYNC_TIMEOUT_MS,
        'feedmesh write',
      )
    },
    async close() {
      for (const transport of transports) transport.disconnect()
    },
  }
}
