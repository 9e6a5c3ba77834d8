/**
 * The feedmesh client of the benchmark, at the transport level: one
 * `WebSocketTransport` (authenticated, with resume), one `SUBSCRIBE` of
 * every document (split by the transport only past the relay's batch
 * limit), each `SYNCED` applied into a fresh Y.Doc; synced when
 * `onCaughtUp` named every document. Reconnecting subscribes again with
 * the current state vectors and the relay's resume point.
 */
import { type DocId, Identity, type TransportHandler, WebSocketTransport } from '@feedmesh/core'
import * as Y from 'yjs'
import { countingWebSocket, type Wire } from '../countingSocket.js'
import { type BenchClient, withTimeout } from './BenchClient.js'

/** A feedmesh benchmark client for `docIds` on the relay at `url`. */
export function feedmeshClient(url: string, docIds: readonly string[], wire: Wire): BenchClient {
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
    return withTimeout(synced, 60_000, 'feedmesh sync')
  }
  return {
    open: sync,
    reconnect() {
      failed = undefined
      transport.disconnect()
      return sync()
    },
    async close() {
      failed = undefined
      transport.disconnect()
      for (const doc of docs.values()) doc.destroy()
    },
  }
}
