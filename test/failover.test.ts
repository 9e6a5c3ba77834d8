/**
 * Failover between two separate (not meshed) relays: a client whose
 * preferred relay is killed mid-session switches to the next one, its
 * pending writes land there, the second relay gets the author's earlier
 * writes through the repair step, and the client goes back to the
 * preferred relay once it restarts (repairing it with what it wrote
 * meanwhile). The sync status shows every transition.
 */
import { MemoryStorage } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import { openClient, portOf, relaysSeen, until } from './helpers/clients.js'
import { killAllRelays, spawnRelay, tempDir } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

describe('two relays, not meshed', () => {
  it('fails over when the preferred relay dies, writes land on the next, and comes back when it restarts', async () => {
    const dataOne = tempDir()
    const one = await spawnRelay({ data: dataOne, args: ['--name', 'one'] })
    const two = await spawnRelay({ args: ['--name', 'two'] })
    const a = await openClient([one.url, two.url])
    const status = a.client.syncStatus()
    // The author's app keeps its own posts open: those documents are re-subscribed and repaired on every relay.
    const own = a.client.posts(a.identity.userId)
    await until(() => status.current.relay === 'one' && status.current.synced, 'on relay one')
    await a.client.post('p1 via one')
    await until(() => status.current.pending === 0, 'p1 acknowledged by one')
    const firstAck = status.current.lastAckAt

    await one.kill('SIGKILL')
    // Written while the client may still believe it is on one: kept until a relay acknowledges it.
    await a.client.post('p2 while one dies')
    await until(() => status.current.relay === 'two', 'failed over to two')
    await a.client.post('p3 via two')
    await until(() => status.current.pending === 0, 'p2 and p3 acknowledged by two')
    expect(await a.storage.outbox()).toEqual([])
    expect(status.current.lastAckAt).toBeGreaterThanOrEqual(firstAck ?? 0)

    // A reader on relay two only sees all three: p1 reached two by the author's repair.
    const readerTwo = await openClient([two.url], { storage: new MemoryStorage() })
    const atTwo = readerTwo.client.posts(a.identity.userId)
    await readerTwo.client.whenSynced({ timeoutMs: 10_000 })
    expect(atTwo.current.posts.map((p) => p.text).sort()).toEqual(
      ['p1 via one', 'p2 while one dies', 'p3 via two'].sort(),
    )

    // Relay one comes back (same data, same port): the client returns to it and repairs it.
    await spawnRelay({ data: dataOne, port: portOf(one.url), args: ['--name', 'one'] })
    await until(() => status.current.relay === 'one', 'back on one', 15_000)
    await until(() => status.current.synced, 'synced with one')
    await a.client.post('p4 via one again')
    await until(() => status.current.pending === 0, 'p4 acknowledged')
    const readerOne = await openClient([one.url], { storage: new MemoryStorage() })
    const atOne = readerOne.client.posts(a.identity.userId)
    await readerOne.client.whenSynced({ timeoutMs: 10_000 })
    expect(atOne.current.posts.map((p) => p.text).sort()).toEqual(
      ['p1 via one', 'p2 while one dies', 'p3 via two', 'p4 via one again'].sort(),
    )
    expect(own.current.posts).toHaveLength(4)

    expect(relaysSeen(a.statuses)).toEqual(['-', 'one', '-', 'two', 'one'])
    expect(status.current).toMatchObject({
      online: true,
      relay: 'one',
      refused: 0,
      failedRelays: [],
    })
  })
})
