/**
 * No acknowledged write is lost: a client writes as fast as it can (a
 * window of updates in flight, over several documents), the relay process
 * is SIGKILLed at a random moment, restarted on the same data, and every
 * write the client saw acknowledged is there, checked by record id.
 * Seeded (`SEED=<n>` replays a run); more runs with `EXTENSIVE=1`.
 */
import { Identity, threadDocId } from '@feedmesh/core'
import * as prng from 'lib0/prng'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RawClient, readDocs } from './helpers/RawClient.js'
import { liveIds, write } from './helpers/records.js'
import { killAllRelays, spawnRelay, tempDir } from './helpers/spawnRelay.js'
import { runs, seed, withSeed } from './storeFuzz.js'

afterAll(killAllRelays)

const WINDOW = 256
const DOCS = 4
const unlimited = [
  '--conn-rate',
  '1000000',
  '--conn-burst',
  '1000000',
  '--user-rate',
  '1000000',
  '--user-burst',
  '1000000',
]

interface RunReport {
  sent: number
  acked: number
  elapsedMs: number
}

async function crashRun(runSeed: number): Promise<RunReport> {
  return withSeed(runSeed, async (gen) => {
    const alice = Identity.generate()
    const docIds = Array.from({ length: DOCS }, (_, i) => threadDocId(alice.userId, `crash${i}`))
    const devices = docIds.map(() => new Y.Doc())
    const data = tempDir()
    const relay = await spawnRelay({ data, args: unlimited })
    const client = await RawClient.open(relay.url, alice)
    const acked = new Set<string>()
    const pending = new Map<number, { docId: string; id: string }>()
    let closed = false
    void client.closed.then(() => {
      closed = true
    })
    const killAfter = prng.int32(gen, 50, 600)
    let sent = 0
    const started = performance.now()
    const killer = (async () => {
      await client.until(() => (acked.size > 0 || closed ? true : undefined), 'a first ack', 20_000)
      await new Promise((resolve) => setTimeout(resolve, killAfter))
      await relay.kill('SIGKILL')
    })()
    while (!closed) {
      while (pending.size < WINDOW && !closed) {
        const d = prng.int32(gen, 0, DOCS - 1)
        const docId = docIds[d]!
        const id = `w${sent++}`
        const { update } = write(devices[d]!, docId, alice, [
          { type: 'comment', id, body: { text: `write ${id}` } },
        ])
        try {
          pending.set(client.update(docId, update), { docId, id })
        } catch {
          closed = true
        }
      }
      await client.until(
        () => {
          let progressed = closed
          for (const [ref, write] of pending) {
            const result = client.resultOf(ref)
            if (result === undefined) continue
            if (!result.ok) throw new Error(`write ${write.id} refused: ${result.error.message}`)
            acked.add(`${write.docId} ${write.id}`)
            pending.delete(ref)
            progressed = true
          }
          return progressed ? true : undefined
        },
        'progress',
        20_000,
      )
    }
    const elapsedMs = performance.now() - started
    await killer
    expect(acked.size).toBeGreaterThan(0)

    const again = await spawnRelay({ data, args: unlimited })
    const docs = await readDocs(again.url, docIds)
    const stored = new Set<string>()
    for (const [docId, doc] of docs) {
      for (const key of liveIds(doc)) stored.add(`${docId} ${key.slice(key.indexOf('/') + 1)}`)
    }
    const lost = [...acked].filter((key) => !stored.has(key))
    expect(lost, `acknowledged writes lost (kill after ${killAfter} ms)`).toEqual([])
    await again.kill('SIGKILL')
    return { sent, acked: acked.size, elapsedMs }
  })
}

describe('relay: SIGKILL while writing', () => {
  it('keeps every acknowledged write, over several seeded runs', { timeout: 300_000 }, async () => {
    const n = runs(3, 12)
    for (let i = 0; i < n; i++) {
      const report = await crashRun(seed + i)
      console.info(
        `crash run ${i} (seed ${seed + i}): ${report.acked} of ${report.sent} writes acknowledged before SIGKILL, ` +
          `${((report.acked / report.elapsedMs) * 1000).toFixed(0)} acked writes/s, all present after restart`,
      )
    }
  })
})
