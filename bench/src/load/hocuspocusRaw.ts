/**
 * A raw Hocuspocus connection (`@hocuspocus/server` 4.7 protocol over `ws`;
 * every message starts with the document name): it sends the provider's
 * `Auth` token message (empty token; the server has no `onAuthenticate`)
 * and sync step 1 with an empty state vector, answers the server's step 1
 * with an empty step 2, and is ready once the server's step 2 arrived.
 * The acknowledgement of a write is the server's `SyncStatus` message (the
 * one that decrements the provider's `unsyncedChanges`), sent right after
 * the update was applied to the in-memory document: storing, when an
 * extension stores, happens later (debounced `onStoreDocument`). One
 * `SyncStatus` per update, in order.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { withTimeout } from '../clients/BenchClient.js'
import type { RawConnection } from './rawConnection.js'
import { AckWaiters, closeSocket, openSocket } from './socketBase.js'

/** Hocuspocus message types used here. */
const Types = { Sync: 0, Auth: 2, QueryAwareness: 3, SyncReply: 4, SyncStatus: 8 } as const
const syncStep1 = 0
const syncStep2 = 1
const syncUpdate = 2
const authToken = 0

function frame(docId: string, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, docId)
  write(encoder)
  return encoding.toUint8Array(encoder)
}

function syncFrame(docId: string, kind: number, payload: Uint8Array): Uint8Array {
  return frame(docId, (e) => {
    encoding.writeVarUint(e, Types.Sync)
    encoding.writeVarUint(e, kind)
    encoding.writeVarUint8Array(e, payload)
  })
}

const emptyDoc = new Y.Doc()

/** Joins `docId` on the Hocuspocus server at `url` (see the module comment). */
export async function openHocuspocus(url: string, docId: string): Promise<RawConnection> {
  const socket = await openSocket(url)
  const acks = new AckWaiters<number>()
  let nextWrite = 0
  let ready: (() => void) | undefined
  const emptyStep2 = syncFrame(docId, syncStep2, Y.encodeStateAsUpdate(emptyDoc))
  const queryAwareness = frame(docId, (e) => encoding.writeVarUint(e, Types.QueryAwareness))
  const connection: RawConnection = {
    onFrame: undefined,
    write(update) {
      const acked = acks.wait(nextWrite++)
      socket.send(syncFrame(docId, syncUpdate, update))
      return acked
    },
    keepAlive() {
      socket.send(queryAwareness)
    },
    close: () => closeSocket(socket),
  }
  socket.on('close', () => acks.failAll(new Error('Hocuspocus: connection closed')))
  socket.on('message', (data: Buffer) => {
    const decoder = decoding.createDecoder(new Uint8Array(data))
    decoding.readVarString(decoder)
    const type = decoding.readVarUint(decoder)
    if (type === Types.Sync || type === Types.SyncReply) {
      const kind = decoding.readVarUint(decoder)
      if (kind === syncStep1) socket.send(emptyStep2)
      if (ready !== undefined) {
        if (kind === syncStep2) {
          ready()
          ready = undefined
        }
        return
      }
    } else if (type === Types.SyncStatus) {
      const applied = decoding.readVarUint(decoder) === 1
      const first = acks.first()
      if (first === undefined) return
      if (applied) acks.resolve(first)
      else acks.reject(first, new Error('Hocuspocus: update not applied'))
      return
    }
    if (ready === undefined) connection.onFrame?.(data)
  })
  const synced = new Promise<void>((resolve, reject) => {
    ready = resolve
    socket.once('close', () => reject(new Error('Hocuspocus: closed during the handshake')))
  })
  socket.send(
    frame(docId, (e) => {
      encoding.writeVarUint(e, Types.Auth)
      encoding.writeVarUint(e, authToken)
      encoding.writeVarString(e, '')
    }),
  )
  socket.send(syncFrame(docId, syncStep1, Y.encodeStateVector(emptyDoc)))
  await withTimeout(synced, 30_000, 'Hocuspocus handshake')
  return connection
}
