/**
 * Idle connections are closed, live ones are not: a feedmesh connection
 * that sends nothing for the idle timeout gets `ERROR idle-timeout` and
 * close 4006 (`CloseCodes.IdleTimeout`); one that sends keepalive `PING`s
 * stays open and usable. On the y-websocket endpoint the relay pings: a
 * client that answers (as browsers and `ws` do) stays, one that does not is
 * closed with 4006.
 */
import { CloseCodes, Identity, MessageTypes, postsDocId } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { sleep } from './helpers/mesh.js'
import { RawClient } from './helpers/RawClient.js'
import { write } from './helpers/records.js'
import { killAllRelays, spawnRelay } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const IDLE = 800

describe('relay: idle timeout', () => {
  it('closes silent connections with 4006 and keeps the ones that ping', async () => {
    const relay = await spawnRelay({ args: ['--idle-timeout-ms', String(IDLE)] })
    const alice = Identity.generate()
    const silent = await RawClient.open(relay.url)
    const pinging = await RawClient.open(relay.url, alice)
    const keepalive = setInterval(() => {
      if (pinging.socket.readyState === WebSocket.OPEN) {
        pinging.send({ type: MessageTypes.Ping, nonce: 1 })
      }
    }, IDLE / 4)
    try {
      const closed = await Promise.race([silent.closed, sleep(IDLE * 4).then(() => null)])
      expect(closed?.code).toBe(CloseCodes.IdleTimeout)
      expect(silent.inbox).toContainEqual(expect.objectContaining({ code: 'idle-timeout' }))
      await sleep(IDLE * 2)
      expect(pinging.socket.readyState).toBe(WebSocket.OPEN)
      const posts = postsDocId(alice.userId, '2026-02')
      const post = write(new Y.Doc(), posts, alice, [
        { type: 'post', id: 'x', body: { text: 'x' } },
      ])
      expect(await pinging.write(posts, post.update)).toEqual({ ok: true })
    } finally {
      clearInterval(keepalive)
      await pinging.close()
    }
  })

  it('pings y-websocket clients: answering ones stay, silent ones go', async () => {
    const relay = await spawnRelay({ args: ['--idle-timeout-ms', String(IDLE)] })
    const docPath = `${relay.url}/y/${postsDocId(Identity.generate().userId, '2026-02')}`
    const open = (autoPong: boolean) =>
      new Promise<{ socket: WebSocket; closed: Promise<number> }>((resolve, reject) => {
        const socket = new WebSocket(docPath, { autoPong })
        const closed = new Promise<number>((done) => socket.on('close', (code) => done(code)))
        socket.once('open', () => resolve({ socket, closed }))
        socket.once('error', reject)
      })
    const answering = await open(true)
    const deaf = await open(false)
    const code = await Promise.race([deaf.closed, sleep(IDLE * 4).then(() => -1)])
    expect(code).toBe(CloseCodes.IdleTimeout)
    await sleep(IDLE)
    expect(answering.socket.readyState).toBe(WebSocket.OPEN)
    answering.socket.close()
  })
})
