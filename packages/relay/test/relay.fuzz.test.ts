/**
 * A seeded fuzz of the relay's frame handling over real connections:
 * random bytes, and mutations (bit flips, truncations, insertions, splices,
 * varint rewrites) of the frames of a real session (HELLO, AUTH,
 * SUBSCRIBE, UPDATE, AWARENESS, PING, UNSUBSCRIBE, and y-websocket sync
 * messages on `/y/`). Whatever arrives, the relay answers with an ERROR
 * frame or a close, never crashes: at the end it still answers `/healthz`,
 * serves an honest session, and logged no uncaught failure.
 * Short in CI; long with `EXTENSIVE=1`; `SEED=<n>` replays.
 */
import {
  authPayload,
  encodeMessage,
  Identity,
  type Message,
  MessageTypes,
  PROTOCOL_VERSION,
  Roles,
  threadDocId,
} from '@feedmesh/core'
import * as encoding from 'lib0/encoding'
import * as prng from 'lib0/prng'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { RawClient } from './helpers/RawClient.js'
import { write } from './helpers/records.js'
import { killAllRelays, spawnRelay } from './helpers/spawnRelay.js'
import { runs, seed, withSeed } from './storeFuzz.js'

afterAll(killAllRelays)

const alice = Identity.generate()
const thread = threadDocId(alice.userId, 'fuzz')

/** The frames of a real session, as a client sends them (AUTH signed for a dummy challenge). */
function sessionFrames(relayId: string): Uint8Array[] {
  const device = new Y.Doc()
  const u1 = write(device, thread, alice, [{ type: 'comment', id: 'a', body: { text: 'one' } }])
  const u2 = write(device, thread, alice, [{ type: 'comment', id: 'a', body: { text: 'two' } }])
  const msgs: Message[] = [
    { type: MessageTypes.Hello, version: PROTOCOL_VERSION, role: Roles.Client, name: 'fuzz' },
    {
      type: MessageTypes.Auth,
      publicKey: alice.userId,
      signature: alice.sign(authPayload(new Uint8Array(32), relayId, Roles.Client)),
    },
    {
      type: MessageTypes.Subscribe,
      subscriptions: [{ docId: thread, stateVector: Y.encodeStateVector(device) }],
      resume: { epoch: 'e', seq: 3 },
    },
    { type: MessageTypes.Update, docId: thread, update: u1.update, ref: 1 },
    { type: MessageTypes.Update, docId: thread, update: u2.update, ref: 2 },
    { type: MessageTypes.Awareness, docId: thread, payload: Uint8Array.of(1, 2, 3) },
    { type: MessageTypes.Ping, nonce: 7 },
    { type: MessageTypes.Unsubscribe, docIds: [thread] },
    { type: MessageTypes.ChangesSince, epoch: 'e', seq: 1 },
  ]
  return msgs.map(encodeMessage)
}

/** y-websocket messages: sync step 1, step 2 / update with a real update, awareness. */
function yFrames(): Uint8Array[] {
  const update = write(new Y.Doc(), thread, alice, [
    { type: 'comment', id: 'y', body: { text: 'y' } },
  ]).update
  const frame = (type: number, sub: number | null, payload: Uint8Array) => {
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, type)
    if (sub !== null) encoding.writeVarUint(e, sub)
    encoding.writeVarUint8Array(e, payload)
    return encoding.toUint8Array(e)
  }
  return [
    frame(0, 0, Y.encodeStateVector(new Y.Doc())),
    frame(0, 1, update),
    frame(0, 2, update),
    frame(1, null, Uint8Array.of(1, 0)),
  ]
}

function mutate(gen: prng.PRNG, frame: Uint8Array, pool: Uint8Array[]): Uint8Array {
  const bytes = Array.from(frame)
  const edits = prng.int32(gen, 1, 4)
  for (let i = 0; i < edits; i++) {
    const at = bytes.length === 0 ? 0 : prng.int32(gen, 0, bytes.length - 1)
    switch (prng.int32(gen, 0, 6)) {
      case 0: // bit flip
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << prng.int32(gen, 0, 7))
        break
      case 1: // truncate
        bytes.length = at
        break
      case 2: // insert random bytes
        bytes.splice(at, 0, ...prng.uint8Array(gen, prng.int32(gen, 1, 8)))
        break
      case 3: // delete a run
        bytes.splice(at, prng.int32(gen, 1, 8))
        break
      case 4: // splice with another frame
        bytes.splice(
          at,
          bytes.length,
          ...Array.from(prng.oneOf(gen, pool)).slice(prng.int32(gen, 0, 5)),
        )
        break
      case 5: // a huge varint
        bytes.splice(at, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)
        break
      default: // set a byte to an edge value
        if (bytes.length > 0) bytes[at] = prng.oneOf(gen, [0, 1, 0x7f, 0x80, 0xff])
    }
  }
  return Uint8Array.from(bytes)
}

/** Opens a socket, sends the frames, waits briefly for answers or a close. */
async function fuzzConnection(url: string, frames: Uint8Array[]): Promise<void> {
  const socket = new WebSocket(url)
  socket.on('error', () => {})
  await new Promise<void>((resolve) => {
    socket.once('open', () => resolve())
    socket.once('close', () => resolve())
    setTimeout(resolve, 3000).unref()
  })
  if (socket.readyState !== WebSocket.OPEN) return
  for (const frame of frames) if (socket.readyState === WebSocket.OPEN) socket.send(frame)
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve())
    setTimeout(resolve, 40).unref()
  })
  socket.terminate()
}

describe('relay: frame fuzz', () => {
  it('never crashes on random and mutated frames', { timeout: 600_000 }, async () => {
    const relay = await spawnRelay({
      args: ['--max-frame-bytes', '100000', '--hello-timeout-ms', '1000'],
    })
    const session = sessionFrames(relay.publicKey)
    const ySession = yFrames()
    const cases = runs(300, 5000)
    await withSeed(seed, async (gen) => {
      const batch: Promise<void>[] = []
      for (let i = 0; i < cases; i++) {
        const y = prng.int32(gen, 0, 4) === 0
        const pool = y ? ySession : session
        const frames: Uint8Array[] = []
        // often start with a valid HELLO so the fuzz reaches the states after it
        if (!y && prng.bool(gen)) frames.push(session[0]!)
        const count = prng.int32(gen, 1, 4)
        for (let j = 0; j < count; j++) {
          const kind = prng.int32(gen, 0, 9)
          if (kind === 0) frames.push(prng.uint8Array(gen, prng.int32(gen, 0, 64)))
          else if (kind === 1) frames.push(prng.oneOf(gen, pool))
          else frames.push(mutate(gen, prng.oneOf(gen, pool), pool))
        }
        batch.push(fuzzConnection(y ? `${relay.url}/y/${thread}` : relay.url, frames))
        if (batch.length >= 16) await Promise.all(batch.splice(0))
      }
      await Promise.all(batch)
    })

    // still alive, still correct
    const health = await relay.get('/healthz')
    expect(health.status).toBe(200)
    const honest = await RawClient.open(relay.url, alice)
    const ok = write(new Y.Doc(), thread, alice, [
      { type: 'comment', id: 'after', body: { text: 'ok' } },
    ])
    expect(await honest.write(thread, ok.update)).toEqual({ ok: true })
    await honest.close()
    expect(relay.child.exitCode).toBe(null)
    const log = relay.stderr()
    expect(log).not.toContain('uncaught exception')
    expect(log).not.toContain('unhandled rejection')
    expect(log).not.toContain('handler failed')
    const metrics = await (await relay.get('/metrics')).text()
    const bad = metrics.match(/^feedmesh_relay_bad_frames_total\{[^}]*\} (\d+)/gm) ?? []
    expect(bad.length).toBeGreaterThan(0)
    console.info(
      `fuzzed ${cases} connections (seed ${seed}); bad frames by code:\n${bad.join('\n')}`,
    )
  })
})
