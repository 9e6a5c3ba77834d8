/**
 * The client's list of open queries: every kind of query leaves it when it
 * closes (so open/close cycles do not pile up closed objects until the
 * client closes), and closing the client closes what is still open.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { FeedClient } from '../src/client/FeedClient.js'
import { Identity } from '../src/Identity.js'
import { RecordVerifier } from '../src/records.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'

const clients: FeedClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

async function open(): Promise<FeedClient> {
  const client = await FeedClient.open({
    identity: Identity.generate(),
    storage: new MemoryStorage(),
    verifier: new RecordVerifier(),
  })
  clients.push(client)
  return client
}

describe('open queries', () => {
  it('syncStatus(): each open/close cycle leaves no query behind', async () => {
    const client = await open()
    expect(client.stats().openQueries).toBe(0)
    for (let i = 0; i < 100; i++) {
      const status = client.syncStatus()
      expect(client.stats().openQueries).toBe(1)
      status.close()
    }
    expect(client.stats().openQueries).toBe(0)
    // Closing twice is harmless and does not disturb the count of others.
    const kept = client.syncStatus()
    const closedTwice = client.syncStatus()
    closedTwice.close()
    closedTwice.close()
    expect(client.stats().openQueries).toBe(1)
    kept.close()
    expect(client.stats().openQueries).toBe(0)
  })

  it('a closed syncStatus() stops notifying; an open one still does', async () => {
    const client = await open()
    const closed = client.syncStatus()
    const open1 = client.syncStatus()
    const seenClosed: number[] = []
    const seenOpen: number[] = []
    closed.subscribe((s) => seenClosed.push(s.pending))
    open1.subscribe((s) => seenOpen.push(s.pending))
    closed.close()
    await client.post('hello')
    expect(seenClosed).toEqual([])
    expect(seenOpen.length).toBeGreaterThan(0)
    expect(open1.current.pending).toBeGreaterThan(0)
  })

  it('every kind of query and presence leaves the list when closed; client.close() closes the rest', async () => {
    const client = await open()
    const uid = client.userId
    const ref = await client.post('p')
    const queries = [
      client.syncStatus(),
      client.timeline(),
      client.posts(uid),
      client.thread(ref),
      client.profile(uid),
      client.followers(uid),
      client.following(uid),
      client.friends(uid),
      client.room({ owner: uid, room: 'general' }),
      client.presence({ owner: uid, room: 'general' }),
    ]
    expect(client.stats().openQueries).toBe(queries.length)
    for (const [i, query] of queries.entries()) {
      query.close()
      expect(client.stats().openQueries).toBe(queries.length - i - 1)
    }
    const left = client.syncStatus()
    const seen: unknown[] = []
    left.subscribe((s) => seen.push(s))
    await client.close()
    expect(client.stats().openQueries).toBe(0)
    expect(seen).toEqual([])
  })
})
