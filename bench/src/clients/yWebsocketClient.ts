/**
 * The y-websocket client of the benchmark: one `WebsocketProvider`
 * (y-websocket 3.1, `disableBc`) and so one socket per document, as
 * y-websocket works; synced when every provider reported `sync`.
 * Disconnecting calls `disconnect()` on every provider (it closes the
 * socket at once), catching up `connect()`.
 * The writer speaks the y-websocket sync protocol directly, one socket per
 * changed document: it sends the change as an update, then a sync step 1
 * with an empty state vector; the server handles a socket's messages in
 * order, so its step 2 answer proves the change is in the server's
 * document (y-websocket has no acknowledgement of its own).
 */

import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import * as syncProtocol from 'y-protocols/sync'
import { WebsocketProvider } from 'y-websocket'
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

/** A y-websocket benchmark client for `docIds` on the server at `url`. */
export function yWebsocketClient(
  url: string,
  docIds: readonly string[],
  wire: Wire,
  options: ClientOptions = {},
): BenchClient {
  const WebSocketPolyfill = countingWebSocket(wire)
  const docs = docIds.map((id) => ({ id, doc: new Y.Doc() }))
  const byId = new Map(docs.map(({ id, doc }) => [id, doc]))
  let providers: WebsocketProvider[] = []
  const allSynced = (): Promise<void> =>
    withTimeout(
      Promise.all(
        providers.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.synced) return resolve()
              const onSync = (synced: boolean) => {
                if (!synced) return
                p.off('sync', onSync)
                resolve()
              }
              p.on('sync', onSync)
            }),
        ),
      ).then(() => undefined),
      options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS,
      'y-websocket sync',
    )
  return {
    open() {
      providers = docs.map(
        ({ id, doc }) =>
          new WebsocketProvider(url, id, doc, {
            WebSocketPolyfill: WebSocketPolyfill as unknown as typeof globalThis.WebSocket,
            disableBc: true,
          }),
      )
      return allSynced()
    },
    async disconnect() {
      for (const p of providers) p.disconnect()
    },
    catchUp() {
      for (const p of providers) p.connect()
      return allSynced()
    },
    doc: (docId) => byId.get(docId),
    async close() {
      for (const p of providers) p.destroy()
      for (const { doc } of docs) doc.destroy()
    },
  }
}

/** y-websocket's message type of sync messages. */
const MESSAGE_SYNC = 0

/** A y-websocket sync message built by `write`. */
function syncMessage(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_SYNC)
  write(encoder)
  return encoding.toUint8Array(encoder)
}

/** A y-websocket writer on the server at `url` (see the module comment). */
export function yWebsocketWriter(url: string): BenchWriter {
  const sockets: WebSocket[] = []
  const writeOne = ({ docId, update }: SeedDoc): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(`${url}/${docId}`)
      sockets.push(socket)
      socket.binaryType = 'arraybuffer'
      socket.on('error', reject)
      socket.on('open', () => {
        socket.send(syncMessage((e) => syncProtocol.writeUpdate(e, update)))
        socket.send(syncMessage((e) => syncProtocol.writeSyncStep1(e, new Y.Doc())))
      })
      socket.on('message', (data: ArrayBuffer) => {
        const decoder = decoding.createDecoder(new Uint8Array(data))
        if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return
        if (decoding.readVarUint(decoder) === syncProtocol.messageYjsSyncStep2) resolve()
      })
    })
  return {
    async write(changes) {
      await withTimeout(
        Promise.all(changes.map(writeOne)),
        DEFAULT_SYNC_TIMEOUT_MS,
        'y-websocket write',
      )
    },
    async close() {
      for (const socket of sockets) socket.close()
    },
  }
}
