/**
 * The Hocuspocus client of the benchmark: one `HocuspocusProviderWebsocket`
 * shared by one `HocuspocusProvider` per document (attached with
 * `attach()`), as Hocuspocus recommends for many documents; synced when
 * every provider reported `synced`. Disconnecting waits for the shared
 * socket's close; catching up connects it again. The writer opens the changed documents the same way
 * over its own socket, applies each change and resolves once the server
 * confirmed every one (`unsyncedChanges` back to 0). It stays connected
 * until closed: without a storage hook, Hocuspocus forgets a document's
 * changes when its last client leaves.
 */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { countingWebSocket, type Wire } from '../countingSocket.js'
import {
  type BenchClient,
  type BenchWriter,
  type ClientOptions,
  DEFAULT_SYNC_TIMEOUT_MS,
  withTimeout,
} from './BenchClient.js'

/** A Hocuspocus benchmark client for `docIds` on the server at `url`. */
export function hocuspocusClient(
  url: string,
  docIds: readonly string[],
  wire: Wire,
  options: ClientOptions = {},
): BenchClient {
  const docs = docIds.map((id) => ({ id, doc: new Y.Doc() }))
  const byId = new Map(docs.map(({ id, doc }) => [id, doc]))
  let socket: HocuspocusProviderWebsocket | undefined
  let providers: HocuspocusProvider[] = []
  // socket closes while syncing: a reset server shows up here before the timeout
  let drops = 0
  const allSynced = (again: boolean): Promise<void> => {
    drops = 0
    return withTimeout(
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
      options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS,
      'Hocuspocus sync',
    ).catch((error: unknown) => {
      throw drops === 0 || !(error instanceof Error)
        ? error
        : new Error(`${error.message}; the server closed the socket ${drops} times meanwhile`)
    })
  }
  return {
    open() {
      socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: countingWebSocket(wire) })
      const shared = socket
      shared.on('disconnect', () => {
        drops++
      })
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
    async disconnect() {
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
    },
    async catchUp() {
      const shared = socket
      if (shared === undefined) throw new Error('not open')
      const synced = allSynced(true)
      await shared.connect()
      return synced
    },
    doc: (docId) => byId.get(docId),
    async close() {
      for (const p of providers) p.destroy()
      socket?.destroy()
      for (const { doc } of docs) doc.destroy()
    },
  }
}

/** Resolves once `provider` reports `event` with `done` true (or already is). */
function when(
  provider: HocuspocusProvider,
  event: 'synced' | 'unsyncedChanges',
  done: () => boolean,
) {
  return new Promise<void>((resolve) => {
    if (done()) return resolve()
    const check = () => {
      if (!done()) return
      provider.off(event, check)
      resolve()
    }
    provider.on(event, check)
  })
}

/** A Hocuspocus writer on the server at `url` (see the module comment). */
export function hocuspocusWriter(url: string): BenchWriter {
  let socket: HocuspocusProviderWebsocket | undefined
  const providers: HocuspocusProvider[] = []
  return {
    async write(changes) {
      const shared = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket })
      socket = shared
      const opened = changes.map(({ docId }) => {
        const provider = new HocuspocusProvider({
          websocketProvider: shared,
          name: docId,
          document: new Y.Doc(),
        })
        provider.attach()
        providers.push(provider)
        return provider
      })
      await withTimeout(
        Promise.all(
          opened.map(async (provider, i) => {
            await when(provider, 'synced', () => provider.synced)
            Y.applyUpdate(provider.document, changes[i]!.update)
            await when(provider, 'unsyncedChanges', () => !provider.hasUnsyncedChanges)
          }),
        ),
        DEFAULT_SYNC_TIMEOUT_MS,
        'Hocuspocus write',
      )
    },
    async close() {
      for (const p of providers) {
        p.destroy()
        p.document.destroy()
      }
      socket?.destroy()
    },
  }
}
