/**
 * Presence across the mesh, with real relay processes: awareness sent to
 * one relay reaches the subscribers of the same document on every relay
 * of a chain (and the other way round: presence and typing both ways); a
 * state whose `user` is not the sender's authenticated user is refused
 * (`ERROR awareness-refused`) and reaches nobody, here or across the mesh;
 * in a triangle every update reaches each client once and the presence
 * frames the relays send each other stay bounded and stop (no loop).
 */
import { Identity, type Message, MessageTypes, roomDocId } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import { healthOf, sleep, startMesh, type TestMesh, waitLinked } from './helpers/mesh.js'
import { RawClient } from './helpers/RawClient.js'
import { killAllRelays, type SpawnedRelay } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const room = roomDocId(Identity.generate().userId, 'lobby')

/** One participant: an authenticated raw client and its own awareness instance. */
interface Participant {
  client: RawClient
  identity: Identity
  awareness: awarenessProtocol.Awareness
}

async function join(relay: SpawnedRelay, identity = Identity.generate()): Promise<Participant> {
  const client = await RawClient.connect(relay.url)
  await client.hello()
  await client.auth(identity)
  await client.subscribe([{ docId: room, stateVector: new Uint8Array([0]) }])
  const awareness = new awarenessProtocol.Awareness(new Y.Doc())
  return { client, identity, awareness }
}

/** Sets the local state and sends it. */
function say(p: Participant, state: Record<string, unknown> | null): void {
  p.awareness.setLocalState(state)
  const payload = awarenessProtocol.encodeAwarenessUpdate(p.awareness, [p.awareness.clientID])
  p.client.send({ type: MessageTypes.Awareness, docId: room, payload })
}

type AwarenessFrame = Extract<Message, { type: typeof MessageTypes.Awareness }>
const isAwareness = (m: Message): m is AwarenessFrame => m.type === MessageTypes.Awareness

/** The awareness frames a client received so far (left in its inbox). */
function frames(p: Participant): AwarenessFrame[] {
  return p.client.inbox.filter(isAwareness)
}

/** The states a client has seen, applied in order to a fresh awareness. */
function seen(p: Participant): Map<number, Record<string, unknown>> {
  const view = new awarenessProtocol.Awareness(new Y.Doc())
  for (const frame of frames(p)) awarenessProtocol.applyAwarenessUpdate(view, frame.payload, 'test')
  const states = new Map(view.getStates())
  states.delete(view.clientID)
  view.destroy()
  return states
}

/** Waits until `p` has seen `from` in a state matching `match`. */
async function waitSeen(
  p: Participant,
  from: Participant,
  match: (state: Record<string, unknown>) => boolean,
  what: string,
): Promise<void> {
  await p.client.until(() => {
    const state = seen(p).get(from.awareness.clientID)
    return state !== undefined && match(state) ? true : undefined
  }, what)
}

async function presenceFigures(relays: SpawnedRelay[]): Promise<{ out: number; in: number }> {
  let out = 0
  let inbound = 0
  for (const relay of relays) {
    for (const peer of (await healthOf(relay)).peers) {
      const figures = peer as unknown as { awarenessOut?: number; awarenessIn?: number }
      out += figures.awarenessOut ?? 0
      inbound += figures.awarenessIn ?? 0
    }
  }
  return { out, in: inbound }
}

function relaysOf(mesh: TestMesh): SpawnedRelay[] {
  return mesh.nodes.map((_, i) => mesh.relay(i))
}

describe('mesh: presence', () => {
  it('reaches every relay of a chain, both ways, presence and typing', async () => {
    // chain: 1 dials 0, 2 dials 1
    const mesh = await startMesh({
      size: 3,
      links: [
        [1, 0],
        [2, 1],
      ],
    })
    await waitLinked(mesh)
    const [a, b, c] = relaysOf(mesh)
    const alice = await join(a!)
    const bob = await join(b!)
    const carol = await join(c!)

    say(alice, { user: alice.identity.userId, typing: false })
    await waitSeen(carol, alice, (s) => s.user === alice.identity.userId, "alice's presence at C")
    await waitSeen(bob, alice, (s) => s.user === alice.identity.userId, "alice's presence at B")

    say(carol, { user: carol.identity.userId, typing: true })
    await waitSeen(alice, carol, (s) => s.typing === true, 'carol typing, seen at A')
    say(alice, { user: alice.identity.userId, typing: true })
    await waitSeen(carol, alice, (s) => s.typing === true, 'alice typing, seen at C')

    // leaving (a null state) crosses the mesh too
    say(alice, null)
    await carol.client.until(
      () => (seen(carol).has(alice.awareness.clientID) ? undefined : true),
      "alice's departure at C",
    )
    // nobody got their own presence back
    expect(seen(alice).has(alice.awareness.clientID)).toBe(false)
    expect(seen(carol).has(carol.awareness.clientID)).toBe(false)
    for (const p of [alice, bob, carol]) p.client.close()
  })

  it('refuses a state that claims another user, here and across the mesh', async () => {
    const mesh = await startMesh({ size: 2, links: [[1, 0]] })
    await waitLinked(mesh)
    const [a, b] = relaysOf(mesh)
    const alice = Identity.generate()
    const mallory = await join(a!)
    const local = await join(a!)
    const remote = await join(b!)

    say(mallory, { user: alice.userId, typing: true })
    const error = await mallory.client.next(MessageTypes.Error)
    expect(error.code).toBe('awareness-refused')
    expect(error.docId).toBe(room)

    // the same connection, as itself, gets through (and after the forged one, in order)
    say(mallory, { user: mallory.identity.userId, typing: false })
    for (const p of [local, remote]) {
      await waitSeen(p, mallory, (s) => s.user === mallory.identity.userId, 'the honest state')
      const users = frames(p).flatMap((frame) => {
        const view = new awarenessProtocol.Awareness(new Y.Doc())
        awarenessProtocol.applyAwarenessUpdate(view, frame.payload, 'test')
        const states = [...view.getStates()].filter(([id]) => id !== view.clientID)
        view.destroy()
        return states.map(([, state]) => state.user)
      })
      expect(users).not.toContain(alice.userId)
      expect(users).toContain(mallory.identity.userId)
    }
    // a removal of someone else's client id is not passed on either
    const victim = local.awareness.clientID
    say(local, { user: local.identity.userId })
    await waitSeen(remote, local, () => true, "the victim's presence")
    const forgedRemoval = new awarenessProtocol.Awareness(new Y.Doc())
    forgedRemoval.clientID = victim
    forgedRemoval.setLocalState({})
    forgedRemoval.setLocalState(null)
    forgedRemoval.setLocalState(null)
    mallory.client.send({
      type: MessageTypes.Awareness,
      docId: room,
      payload: awarenessProtocol.encodeAwarenessUpdate(forgedRemoval, [victim], new Map()),
    })
    say(mallory, { user: mallory.identity.userId, typing: true })
    await waitSeen(remote, mallory, (s) => s.typing === true, 'the marker after the removal')
    expect(seen(remote).has(victim)).toBe(true)
    for (const p of [mallory, local, remote]) p.client.close()
  })

  it('does not loop in a triangle: each update reaches each client once', async () => {
    const mesh = await startMesh({
      size: 3,
      links: [
        [1, 0],
        [2, 1],
        [2, 0],
      ],
    })
    await waitLinked(mesh)
    const relays = relaysOf(mesh)
    const [alice, bob, carol] = await Promise.all(relays.map((relay) => join(relay)))
    const updates = 6
    for (let i = 1; i <= updates; i++) {
      say(alice!, { user: alice!.identity.userId, n: i })
    }
    for (const p of [bob!, carol!]) {
      await waitSeen(p, alice!, (s) => s.n === updates, 'the last update')
    }
    // settle: a loop would keep frames coming
    await sleep(1000)
    const settled = await presenceFigures(relays)
    await sleep(1000)
    expect(await presenceFigures(relays)).toEqual(settled)
    for (const p of [bob!, carol!]) expect(frames(p).length).toBeLessThanOrEqual(updates)
    expect(frames(alice!).length).toBe(0)
    // each relay passes each update on once, to each of its two links at most
    expect(settled.out).toBeGreaterThanOrEqual(2 * updates)
    expect(settled.out).toBeLessThanOrEqual(relays.length * 2 * updates)
    expect(settled.in).toBe(settled.out)
    for (const p of [alice!, bob!, carol!]) p.client.close()
  })
})
