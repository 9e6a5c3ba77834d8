/**
 * A raw feedmesh connection (core's protocol codec over `ws`): the relay's
 * `CHALLENGE` (it comes with the upgrade, so the socket is listened to
 * before it opens), then `HELLO`, `AUTH` as a fresh or given Identity and
 * `SUBSCRIBE` to one document with an empty state vector in one flight, and
 * ready once the last `SYNCED` arrived. Writes are
 * `UPDATE`s with a ref; the acknowledgement is the relay's `ACK`, sent once
 * the update is committed to its SQLite store (`synchronous = FULL`).
 */
import {
  answerChallenge,
  type DocId,
  decodeMessage,
  encodeMessage,
  Identity,
  type Message,
  MessageTypes,
  PROTOCOL_VERSION,
  Roles,
} from '@feedmesh/core'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { withTimeout } from '../clients/BenchClient.js'
import type { RawConnection } from './rawConnection.js'
import { AckWaiters, closeSocket } from './socketBase.js'

const emptyStateVector = Y.encodeStateVector(new Y.Doc())

/** Joins `docId` on the relay at `url` as `identity` (see the module comment). */
export async function openFeedmesh(
  url: string,
  docId: string,
  identity: Identity = Identity.generate(),
): Promise<RawConnection> {
  const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 15_000 })
  socket.binaryType = 'nodebuffer'
  socket.on('error', () => {})
  const acks = new AckWaiters<number>()
  let nextRef = 1
  let nonce = 0
  let handshake: ((msg: Message) => void) | undefined
  const connection: RawConnection = {
    onFrame: undefined,
    write(update) {
      const ref = nextRef++
      const acked = acks.wait(ref)
      socket.send(encodeMessage({ type: MessageTypes.Update, docId: docId as DocId, update, ref }))
      return acked
    },
    keepAlive() {
      socket.send(encodeMessage({ type: MessageTypes.Ping, nonce: ++nonce }))
    },
    close: () => closeSocket(socket),
  }
  socket.on('close', () => acks.failAll(new Error('feedmesh: connection closed')))
  socket.on('message', (data: Buffer) => {
    if (handshake !== undefined) {
      handshake(decodeMessage(new Uint8Array(data)))
      return
    }
    // Acknowledgements are decoded; everything else is handed on raw.
    if (data[0] === MessageTypes.Ack || data[0] === MessageTypes.Error) {
      const msg = decodeMessage(new Uint8Array(data))
      if (msg.type === MessageTypes.Ack) for (const ref of msg.refs) acks.resolve(ref)
      else if (msg.type === MessageTypes.Error)
        acks.reject(msg.ref, new Error(`feedmesh ${msg.code} ${msg.rule}: ${msg.message}`))
      return
    }
    connection.onFrame?.(data)
  })
  const ready = new Promise<void>((resolve, reject) => {
    handshake = (msg) => {
      switch (msg.type) {
        case MessageTypes.Challenge: {
          const flight: Message[] = [
            {
              type: MessageTypes.Hello,
              version: PROTOCOL_VERSION,
              role: Roles.Client,
              name: 'feedmesh-bench',
            },
            answerChallenge(msg, identity, Roles.Client),
            {
              type: MessageTypes.Subscribe,
              subscriptions: [{ docId: docId as DocId, stateVector: emptyStateVector }],
            },
          ]
          for (const frame of flight) socket.send(encodeMessage(frame))
          break
        }
        case MessageTypes.Welcome:
          break
        case MessageTypes.Synced:
          if (!msg.more) {
            handshake = undefined
            resolve()
          }
          break
        case MessageTypes.Error:
          reject(new Error(`feedmesh handshake ${msg.code}: ${msg.message}`))
          break
        default:
          break
      }
    }
    socket.once('close', () => reject(new Error('feedmesh: closed during the handshake')))
  })
  await withTimeout(ready, 30_000, 'feedmesh handshake')
  return connection
}
