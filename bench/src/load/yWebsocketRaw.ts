/**
 * A raw y-websocket connection (`@y/websocket-server` protocol over `ws`,
 * one socket per document at `<url>/<docId>`): it sends sync step 1 with an
 * empty state vector, answers the server's step 1 with an empty step 2, and
 * is ready once the server's step 2 arrived. The protocol has no
 * acknowledgement: a write counts as acknowledged when the server echoes
 * it, which it does to every connection of the document, the writer's
 * included, right after applying it to its in-memory Y.Doc (nothing is
 * stored).
 */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { withTimeout } from '../clients/BenchClient.js'
import type { RawConnection } from './rawConnection.js'
import { AckWaiters, closeSocket, openSocket } from './socketBase.js'

const messageSync = 0
const syncStep1 = 0
const syncStep2 = 1
const syncUpdate = 2

function syncFrame(kind: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, messageSync)
  encoding.writeVarUint(encoder, kind)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

const emptyDoc = new Y.Doc()
const step1 = syncFrame(syncStep1, Y.encodeStateVector(emptyDoc))
const emptyStep2 = syncFrame(syncStep2, Y.encodeStateAsUpdate(emptyDoc))

/** Joins `docId` on the y-websocket server at `url` (see the module comment). */
export async function openYWebsocket(url: string, docId: string): Promise<RawConnection> {
  const socket = await openSocket(`${url}/${docId}`)
  const echoes = new AckWaiters<string>()
  let ready: (() => void) | undefined
  const connection: RawConnection = {
    onFrame: undefined,
    write(update, key) {
      const echoed = echoes.wait(key)
      socket.send(syncFrame(syncUpdate, update))
      return echoed
    },
    keepAlive() {
      // the server pings every connection itself; `ws` answers with a pong
    },
    close: () => closeSocket(socket),
  }
  socket.on('close', () => echoes.failAll(new Error('y-websocket: connection closed')))
  socket.on('message', (data: Buffer) => {
    if (data[0] === messageSync && data[1] === syncStep1) socket.send(emptyStep2)
    if (ready !== undefined) {
      if (data[0] === messageSync && data[1] === syncStep2) {
        ready()
        ready = undefined
      }
      return
    }
    const key = echoes.first()
    if (key !== undefined && data.includes(key)) echoes.resolve(key)
    connection.onFrame?.(data)
  })
  const synced = new Promise<void>((resolve, reject) => {
    ready = resolve
    socket.once('close', () => reject(new Error('y-websocket: closed during the handshake')))
  })
  socket.send(step1)
  await withTimeout(synced, 30_000, 'y-websocket handshake')
  return connection
}
