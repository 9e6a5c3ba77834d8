/**
 * Two FeedClients with WebSocket transports converge through one real
 * relay process; a fresh device of a user shows what the relay holds once
 * `whenSynced` resolves; a relay that is not there makes `whenSynced` time
 * out with a clear error.
 */
import { FeedmeshError, MemoryStorage } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import { openClient, until } from './helpers/clients.js'
import { killAllRelays, spawnRelay } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

describe('one relay', () => {
  it('two clients converge: profile, post, follow, comment, timeline; acks empty both outboxes', async () => {
    const relay = await spawnRelay({ args: ['--name', 'solo'] })
    const a = await openClient([relay.url])
    const b = await openClient([relay.url])
    const aStatus = a.client.syncStatus()
    await until(() => aStatus.current.online, 'a online')
    expect(aStatus.current.relay).toBe('solo')

    await a.client.setProfile({ name: 'Alice', bio: 'over a real relay' })
    const ref = await a.client.post('hello from alice')
    const bTimeline = b.client.timeline()
    const aProfileAtB = b.client.profile(a.identity.userId)
    await b.client.follow(a.identity.userId)
    await until(() => bTimeline.current.posts.length === 1, "alice's post in bob's timeline")
    expect(bTimeline.current.posts[0]).toMatchObject({
      text: 'hello from alice',
      author: a.identity.userId,
    })
    await until(() => aProfileAtB.current.name === 'Alice', "alice's profile at bob")

    const aThread = a.client.thread(ref)
    const aFollowers = a.client.followers(a.identity.userId)
    await b.client.comment(ref, 'hello back')
    await until(() => aThread.current.comments.length === 1, "bob's comment at alice")
    expect(aThread.current.comments[0]).toMatchObject({
      text: 'hello back',
      author: b.identity.userId,
    })
    await until(() => aFollowers.current.length === 1, "bob's follower edge at alice")
    expect(aFollowers.current).toEqual([b.identity.userId])
    await until(() => bTimeline.current.posts[0]?.comments === 1, 'comment count in the timeline')

    const bStatus = b.client.syncStatus()
    await until(() => aStatus.current.pending === 0 && bStatus.current.pending === 0, 'acks')
    expect(await a.storage.outbox()).toEqual([])
    expect(await b.storage.outbox()).toEqual([])
    expect(aStatus.current.lastAckAt).toBeTypeOf('number')
    expect(aStatus.current.refused).toBe(0)
    expect(a.client.stats().droppedRecords).toBe(0)
    expect(b.client.stats().droppedRecords).toBe(0)

    // Bob's second device starts empty; after whenSynced its reads show what the relay holds,
    // including the documents the timeline opened on the way (alice's profile and posts).
    const b2 = await openClient([relay.url], { identity: b.identity, storage: new MemoryStorage() })
    const timeline = b2.client.timeline()
    const following = b2.client.following(b.identity.userId)
    await b2.client.whenSynced({ timeoutMs: 10_000 })
    expect(b2.client.syncStatus().current).toMatchObject({ online: true, synced: true })
    expect(following.current).toEqual([a.identity.userId])
    expect(timeline.current.posts.map((p) => [p.text, p.comments])).toEqual([
      ['hello from alice', 1],
    ])
  })

  it('presence (typing) travels through the relay to the room and is never stored', async () => {
    const relay = await spawnRelay()
    const a = await openClient([relay.url])
    const b = await openClient([relay.url])
    const room = { owner: a.identity.userId, room: 'lobby' }
    const pa = a.client.presence(room, { typing: false })
    await a.client.whenSynced({ timeoutMs: 10_000 })
    const pb = b.client.presence(room)
    // Bob joined later and shows nothing: alice re-announces for the newcomer.
    await until(() => pb.current.peers.length === 1, 'alice present at bob')
    expect(pb.current.peers[0]).toMatchObject({ user: a.identity.userId, state: { typing: false } })
    pa.set({ typing: true })
    await until(() => pb.current.peers[0]?.state.typing === true, 'alice typing at bob')
    pb.set({ typing: true })
    await until(() => pa.current.peers[0]?.user === b.identity.userId, 'bob present at alice')
    pa.close()
    await until(() => pb.current.peers.length === 0, 'alice gone at bob')
    // Nothing was stored: the room document is empty at the relay.
    const reader = await openClient([relay.url])
    const messages = reader.client.room(room)
    await reader.client.whenSynced({ timeoutMs: 10_000 })
    expect(messages.current.messages).toEqual([])
  })

  it('whenSynced times out with a clear error while the relay cannot be reached', async () => {
    const relay = await spawnRelay()
    const url = relay.url
    await relay.kill()
    const a = await openClient([url])
    const started = Date.now()
    const error = await a.client.whenSynced({ timeoutMs: 400 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FeedmeshError)
    expect((error as FeedmeshError).code).toBe('timeout')
    expect((error as FeedmeshError).message).toMatch(/offline.*unreachable/)
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(a.client.syncStatus().current).toMatchObject({
      online: false,
      synced: false,
      lastError: { code: 'unreachable' },
    })
  })
})
