/**
 * A hung peer never blocks clients or other peers. Relay 0 links to relay
 * 1 through a proxy that stops moving bytes (the connection stays open: a
 * peer that hangs, not one that is gone) and to relay 2 directly. A client
 * of relay 0 writes megabytes of posts: every write is acknowledged, relay
 * 2 gets everything live, live updates to the hung peer are dropped once
 * its queue is full instead of piling up, and the link to it ends on the
 * idle timeout. When the peer moves again, the link comes back and its
 * catch-up (from its cursor) fetches what was dropped.
 */
import { Identity, postsDocId } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import { Device } from './helpers/Device.js'
import { healthOf, startMesh, waitConverged, waitLinked, waitUntil } from './helpers/mesh.js'
import { killAllRelays } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const POSTS = 1600
const DOCS = 40

describe('mesh: back pressure', () => {
  it('drops live updates to a hung peer, keeps serving, and catches it up later', {
    timeout: 120_000,
  }, async () => {
    const mesh = await startMesh({
      size: 3,
      links: [
        [0, 1],
        [0, 2],
      ],
      args: ['--idle-timeout-ms', '9000', '--peer-queue-bytes', '65536'],
    })
    await waitLinked(mesh)
    const [r0, r1, r2] = [mesh.relay(0), mesh.relay(1), mesh.relay(2)]
    const writer = new Device(Identity.generate(), 'writer')
    await writer.connect(r0.url)
    const docIds = Array.from({ length: DOCS }, (_, i) =>
      postsDocId(
        writer.identity.userId,
        `20${20 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`,
      ),
    )
    mesh.proxy(0, 1).pause()
    const started = performance.now()
    const text = 'x'.repeat(5000)
    for (let i = 0; i < POSTS; i++) {
      writer.write(docIds[i % DOCS]!, [{ type: 'post', id: `big${i}`, body: { text } }])
      if (i % 100 === 99) await writer.settle(30_000)
    }
    await writer.settle(30_000)
    const writeMs = performance.now() - started
    expect(writer.ackedWrites).toBe(POSTS)

    // the other peer got everything live while the hung one was stuck
    await waitConverged([r0.url, r2.url], docIds, 20_000)
    const toHung = (await healthOf(r0)).peers.find((p) => p.publicKey === r1.publicKey)!
    expect(toHung.updatesDropped).toBeGreaterThan(0)
    await waitUntil(
      async () => !(await healthOf(r0)).peers.find((p) => p.publicKey === r1.publicKey)!.connected,
      'the link to the hung peer to end on the idle timeout',
      20_000,
    )

    mesh.proxy(0, 1).resume()
    await waitConverged([r0.url, r1.url, r2.url], docIds, 30_000)
    await waitLinked(mesh)
    console.info(
      `back pressure: ${POSTS} posts (${((POSTS * 5) / 1000).toFixed(1)} MB) acknowledged in ${writeMs.toFixed(0)} ms ` +
        `with a hung peer; ${toHung.updatesDropped} live updates to it dropped, caught up after it moved again`,
    )
    await writer.disconnect()
  })
})
