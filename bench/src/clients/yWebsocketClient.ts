/**
 * The y-websocket client of the benchmark: one `WebsocketProvider`
 * (y-websocket 3.1, `disableBc`) and so one socket per document, as
 * y-websocket works; synced when every provider reported `sync`.
 * Reconnecting calls `disconnect()` then `connect()` on every provider.
 */
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { countingWebSocket, type Wire } from '../countingSocket.js'
import { type BenchClient, withTimeout } from './BenchClient.js'

/** A y-websocket benchmark client for `docIds` on the server at `url`. */
export function yWebsocketClient(url: string, docIds: readonly string[], wire: Wire): BenchClient {
  const WebSocketPolyfill = countingWebSocket(wire)
  const docs = docIds.map((id) => ({ id, doc: new Y.Doc() }))
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
      60_000,
      'y-websocket sync',
    )
  return {
    open() {
      providers = docs.map(
        ({ id, doc }) =>
          new WebsocketProvider(url, id, doc, {
            WebSocketPolyfill: WebSocketPolyfill as unknown as typeof WebSocket,
            disableBc: true,
          }),
      )
      return allSynced()
    },
    reconnect() {
      for (const p of providers) p.disconnect()
      for (const p of providers) p.connect()
      return allSynced()
    },
    async close() {
      for (const p of providers) p.destroy()
      for (const { doc } of docs) doc.destroy()
    },
  }
}
