/**
 * Core benchmarks (not tests; numbers never fail anything):
 * - signed records verified per second, per verification backend;
 * - time to open 1,000 documents from storage (IndexedDB on fake-indexeddb, memory);
 * - time of a timeline query over 500 followed users with 20 posts each.
 *
 * Run: `pnpm -F @feedmesh/core bench` (or `npx tsx bench/core.bench.ts` in packages/core).
 */

import { fromBase64url } from '../src/base64url.js'
import { loadVerifier, VerifierBackends } from '../src/ed25519.js'
import { Identity } from '../src/Identity.js'
import { canonicalBytes, signRecord } from '../src/records.js'
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

await verificationRate()
