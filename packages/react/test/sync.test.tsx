import type { DocId, RoomRef, UserId } from '@feedmesh/core'
import { act, cleanup, fireEvent, render, waitFor, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import {
  QueryCache,
  useFeedActions,
  useFeedClient,
  usePresence,
  useRoom,
  useSyncStatus,
  useTimeline,
} from '../src/index.js'
import { closeClients, memoryRelay, relayClient, short, withClient } from './helpers/fixtures.js'

afterEach(async () => {
  cleanup()
  await closeClients()
})

function Timeline() {
  const { value } = useTimeline()
  return (
    <ul>
      {value.posts.map((p) => (
        <li key={`${p.author}/${p.ref.postId}`}>{`${short(p.author)}: ${p.text}`}</li>
      ))}
    </ul>
  )
}

function Status() {
  const { online, pending, relay } = useSyncStatus()
  return <p>{`${online ? `online at ${relay}` : 'offline'}, pending ${pending}`}</p>
}

function Chat({ room }: { room: RoomRef }) {
  const { value } = useRoom(room)
  const { say } = useFeedActions()
  return (
    <>
      <ol>
        {value.messages.map((m) => (
          <li key={`${m.author}/${m.id}`}>{`${short(m.author)}: ${m.text}`}</li>
        ))}
      </ol>
      <button type="button" onClick={() => void say(room, 'hi there')}>
        say
      </button>
    </>
  )
}

function Typing({ room }: { room: RoomRef | DocId }) {
  const { value, set } = usePresence(room, { typing: false })
  const me = useFeedClient().userId
  const typing = value.peers.filter((p) => p.state.typing === true && p.user !== undefined)
  return (
    <>
      <p>{`me ${short(me)} ${value.self?.typing === true ? 'typing' : 'idle'}`}</p>
      <p>{`peers ${value.peers.length}`}</p>
      <p>{`typing: ${typing.map((p) => short(p.user as UserId)).join(',') || 'nobody'}`}</p>
      <button type="button" onClick={() => set({ typing: true })}>
        type
      </button>
      <button type="button" onClick={() => set({ typing: false })}>
        stop
      </button>
    </>
  )
}

describe('two clients through a relay', () => {
  it("each shows the other's posts and chat messages", async () => {
    const { net, relay } = memoryRelay()
    const alice = await relayClient(net, relay)
    const bob = await relayClient(net, relay)
    await Promise.all([alice.follow(bob.userId), bob.follow(alice.userId)])
    const a = within(render(withClient(alice, <Timeline />)).container)
    const b = within(render(withClient(bob, <Timeline />)).container)

    await act(async () => {
      await alice.post('hello bob')
    })
    expect(a.getByText(`${short(alice.userId)}: hello bob`)).toBeTruthy()
    await b.findByText(`${short(alice.userId)}: hello bob`)
    await act(async () => {
      await bob.post('hi alice')
    })
    await a.findByText(`${short(bob.userId)}: hi alice`)
    expect(b.getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      `${short(bob.userId)}: hi alice`,
      `${short(alice.userId)}: hello bob`,
    ])

    const room = { owner: alice.userId, room: 'lobby' }
    const ac = within(render(withClient(alice, <Chat room={room} />)).container)
    const bc = within(render(withClient(bob, <Chat room={room} />)).container)
    fireEvent.click(bc.getByRole('button', { name: 'say' }))
    await ac.findByText(`${short(bob.userId)}: hi there`)
    expect(bc.getByText(`${short(bob.userId)}: hi there`)).toBeTruthy()
  })

  it('useSyncStatus shows online, pending writes, then 0 once the relay acknowledges', async () => {
    let hold: Promise<void> | undefined
    let release = () => {}
    const { net, relay } = memoryRelay({ store: () => hold ?? Promise.resolve() })
    const client = await relayClient(net, relay)
    const view = within(render(withClient(client, <Status />)).container)
    await view.findByText('online at relay-1, pending 0')
    hold = new Promise((resolve) => {
      release = resolve
    })
    await act(async () => {
      await client.post('held by the relay')
    })
    // The post and its month bucket: two updates, durable locally, not acknowledged.
    expect(view.getByText('online at relay-1, pending 2')).toBeTruthy()
    hold = undefined
    release()
    await view.findByText('online at relay-1, pending 0')
    expect(QueryCache.of(client).keys()).toEqual(['feedmesh:sync'])
  })

  it("usePresence shows a peer's typing state and its leaving", async () => {
    const { net, relay } = memoryRelay()
    const alice = await relayClient(net, relay)
    const bob = await relayClient(net, relay)
    const room = { owner: alice.userId, room: 'lobby' }
    const a = within(render(withClient(alice, <Typing room={room} />)).container)
    const bobView = render(withClient(bob, <Typing room={`r/${alice.userId}/lobby` as DocId} />))
    const b = within(bobView.container)
    await a.findByText('peers 1')
    await b.findByText('peers 1')
    expect(a.getByText('typing: nobody')).toBeTruthy()

    fireEvent.click(b.getByRole('button', { name: 'type' }))
    expect(b.getByText(`me ${short(bob.userId)} typing`)).toBeTruthy()
    await a.findByText(`typing: ${short(bob.userId)}`)
    fireEvent.click(b.getByRole('button', { name: 'stop' }))
    await a.findByText('typing: nobody')

    bobView.unmount()
    await a.findByText('peers 0')
    await waitFor(() => expect(QueryCache.of(bob).keys()).toEqual([]))
  })
})
