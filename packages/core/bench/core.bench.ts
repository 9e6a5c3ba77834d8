/**
 * Core benchmarks (not tests; numbers never fail anything):
 * - signed records verified per second, per verification backend;
 * - time of a timeline query over 500 followed users with 20 posts each.
 * Opening 1,000 documents from storage (IndexedDB against y-indexeddb, and
 * memory) is measured by `bench/storage.bench.ts`.
 *
 * Run: `pnpm -F @feedmesh/core bench` (or `npx tsx bench/core.bench.ts` in packages/core).
 */

import { fromBase64url } from '../src/base64url.js'
import { FeedClient } from '../src/client/FeedClient.js'
import { loadVerifier, VerifierBackends } from '../src/ed25519.js'
import { Identity } from '../src/Identity.js'
import { canonicalBytes, signRecord } from '../src/records.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import { fmt, measure } from './measure.js'

async function verificationRate(): Promise<void> {
  const authors = Array.from({ length: 20 }, () => Identity.generate())
  const items = Array.from({ length: 2000 }, (_, i) => {
    const author = authors[i % authors.length]!
    const record = signRecord(author, {
      doc: `p/${author.userId}/2026-11`,
      author: author.userId,
      type: 'post',
      id: `post${i}`,
      rev: 1,
      at: 1_764_000_000_000 + i,
      yid: [i, 0],
      body: { text: `post number ${i} with a few words of text in it` },
    })
    return { key: author.publicKey, msg: canonicalBytes(record), sig: fromBase64url(record.sig)! }
  })
  console.log('\nrecords verified per second (2,000 distinct records, 20 authors)')
  for (const backend of Object.values(VerifierBackends)) {
    const verify = await loadVerifier(backend)
    if (verify === null) {
      console.log(`  ${backend.padEnd(12)} not available here`)
      continue
    }
    const m = await measure(async () => {
      const results = await Promise.all(items.map((it) => verify(it.key, it.msg, it.sig)))
      if (results.some((ok) => !ok)) throw new Error('a valid signature failed')
    }, 3)
    console.log(
      `  ${backend.padEnd(12)} ${Math.round((items.length / m.median) * 1000)
        .toString()
        .padStart(7)}/s   ${fmt(m)} per 2,000`,
    )
  }
}

async function timelineQuery(users: number, postsEach: number): Promise<void> {
  const storage = new MemoryStorage()
  const reader = Identity.generate()
  const start = Date.UTC(2026, 9, 1)
  const day = 86_400_000
  const setup = performance.now()
  for (let u = 0; u < users; u++) {
    // Posts spread over two months, so the query has to pick buckets.
    let now = start + u * 1000
    const author = await FeedClient.open({ identity: Identity.generate(), storage, now: () => now })
    await author.setProfile({ name: `user ${u}` })
    for (let p = 0; p < postsEach; p++) {
      now = start + Math.floor((p * 60 * day) / postsEach) + u * 1000
      await author.post(`post ${p} of user ${u}: a few words of text, like a real short post`)
    }
    await author.close()
    const client = await FeedClient.open({ identity: reader, storage })
    await client.follow(author.userId)
    await client.close()
  }
  console.log(
    `\ntimeline over ${users} followed users x ${postsEach} posts (setup ${((performance.now() - setup) / 1000).toFixed(1)} s)`,
  )
  const cold = await measure(
    async () => {
      const client = await FeedClient.open({ identity: reader, storage })
      const timeline = client.timeline({ pageSize: 20 })
      const view = await timeline.ready
      if (view.posts.length !== 20) throw new Error(`expected 20 posts, got ${view.posts.length}`)
      timeline.close()
      await client.close()
    },
    3,
    1,
  )
  console.log(`  first page of 20, cold client (every record verified once)  ${fmt(cold)}`)
  const client = await FeedClient.open({ identity: reader, storage })
  const warmup = client.timeline({ pageSize: 20 })
  await warmup.ready
  const warm = await measure(
    async () => {
      const timeline = client.timeline({ pageSize: 20 })
      await timeline.ready
      timeline.close()
    },
    5,
    1,
  )
  console.log(`  first page of 20, documents already open                   ${fmt(warm)}`)
  const more = await measure(() => warmup.loadMore(), 5, 0)
  console.log(`  loadMore (next 20)                                         ${fmt(more)}`)
  warmup.close()
  await client.close()
}

await verificationRate()
await timelineQuery(500, 20)
