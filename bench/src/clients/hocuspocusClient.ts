/**
 * The Hocuspocus client of the benchmark: one `HocuspocusProviderWebsocket`
 * shared by one `HocuspocusProvider` per document (attached with
 * `attach()`), as Hocuspocus recommends for many documents; synced when
 * every provider reported `synced`. Reconnecting disconnects and connects
 * the shared socket.
 */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import * as Y from 'yjs'
import { countingWebSocket, type Wire } from '../countingSocket.js'
import { type BenchClient, withTimeout } from './BenchClient.js'

/** A Hocuspocus benchmark client for `docIds` on the server at `url`. */
export function hocuspocusClient(url: string, docIds: readonly string[], wire: Wire): BenchClient {
  const docs = docIds.map((id) => ({ id, doc: new Y.Doc() }))
  let socket: HocuspocusProviderWebsocket | undefined
  let providers: HocuspocusProvider[] = []
  const allSynced = (again: boolean): Promise<void> =>
    withTimeout(
      Promise.all(
        providers.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (!again && p.synced) return resolve()
              const onSynced = () => {
                p.off('synced', onSynced)
                resolve()
              }
              p.on('synced', onSynced)
            }),
        ),
      ).then(() => undefined),
      60_000,
      'Hocuspocus sync',
    )
  return {
    open() {
      socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: countingWebSocket(wire) })
      const shared = socket
      providers = docs.map(({ id, doc }) => {
        const provider = new HocuspocusProvider({
          websocketProvider: shared,
          name: id,
          document: doc,
        })
        provider.attach()
        return provider
      })
      return allSynced(false)
    },
    async reconnect() {
      const shared = socket
      if (shared === undefined) throw new Error('not open')
      // `connect()` is a no-op until the socket reports the close: wait for it.
      const closed = new Promise<void>((resolve) => {
        const onDisconnect = () => {
          shared.off('disconnect', onDisconnect)
          resolve()
        }
        shared.on('disconnect', onDisconnect)
      })
      shared.disconnect()
      await closed
      const synced = allSynced(true)
      await shared.connect()
      return synced
    },
    async close() {
      for (const p of providers) p.destroy()
      socket?.destroy()
      for (const { doc } of docs) doc.destroy()
    },
  }
}
