import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FeedClient } from '../src/client/FeedClient.js'
import { Identity } from '../src/Identity.js'
import { RecordVerifier } from '../src/records.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import { clock } from './helpers/clientFixtures.js'
import { fcParams, runs } from './helpers/fuzz.js'

const start = Date.UTC(2025, 10, 1)
const day = 86_400_000

describe('timeline paging (seeded property)', () => {
  it('paging through a timeline yields every post once, newest first, and releases every document', async () => {
    const users = [Identity.generate(), Identity.generate(), Identity.generate()]
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ user: fc.nat(2), day: fc.nat(120) }), { maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        async (posts, pageSize) => {
          const storage = new MemoryStorage()
          const t = clock(start)
          const verifier = new RecordVerifier()
          const expected: string[] = []
          const sorted = posts
            .map((p, i) => ({ ...p, i, at: start + p.day * day + i }))
            .sort((a, b) => a.user - b.user)
          for (const u of [0, 1, 2]) {
            const mine = sorted.filter((p) => p.user === u)
            const c = await FeedClient.open({ identity: users[u]!, storage, now: t.now, verifier })
            if (u === 0) {
              await c.follow(users[1]!.userId)
              await c.follow(users[2]!.userId)
            }
            for (const p of mine) {
              t.set(p.at)
              await c.post(`post ${p.i}`)
            }
            await c.close()
          }
          for (const p of [...posts.keys()].sort(
            (a, b) => start + posts[b]!.day * day + b - (start + posts[a]!.day * day + a),
          )) {
            expected.push(`post ${p}`)
          }
          const reader = await FeedClient.open({
            identity: users[0]!,
            storage,
            now: t.now,
            verifier,
          })
          const timeline = reader.timeline({ pageSize })
          await timeline.ready
          let guard = 0
          while (timeline.current.hasMore && guard++ < 100) await timeline.loadMore()
          expect(timeline.current.posts.map((p) => p.text)).toEqual(expected)
          timeline.close()
          await reader.settled()
          expect(reader.stats().openDocs).toBe(0)
          await reader.close()
        },
      ),
      fcParams(runs(8, 100)),
    )
  })
})
