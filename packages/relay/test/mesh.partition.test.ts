/**
 * Three relay processes, linked in a chain and in a full mesh through TCP
 * proxies. Clients write on every relay while the links are cut (posts,
 * edits, deletes, comments, reactions, follows, and two devices of one
 * user editing the same post on different relays); after the links are
 * restored every relay holds the same state of every document (snapshot:
 * state vector and delete set; and the decoded records), every
 * acknowledged write is there, and the updates the relays forwarded to
 * each other stay bounded and stop once converged (no loops, no storms).
 * Seeded (`SEED=<n>` replays); more operations with `EXTENSIVE=1`.
 */
import { Identity } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import { Device } from './helpers/Device.js'
import {
  readState,
  sleep,
  startMesh,
  sumFigure,
  waitConverged,
  waitLinked,
} from './helpers/mesh.js'
import { killAllRelays } from './helpers/spawnRelay.js'
import { adoptPair, docsOf, missingAcked, runWorkload, seedWorkload } from './helpers/workload.js'
import { runs, seed, withSeed } from './storeFuzz.js'

afterAll(killAllRelays)

interface Report {
  writes: number
  healMs: number
  forwarded: number
  docs: number
}

async function partitionRun(links: [number, number][], runSeed: number): Promise<Report> {
  return withSeed(runSeed, async (gen) => {
    const mesh = await startMesh({ size: 3, links })
    const relays = [0, 1, 2].map((i) => mesh.relay(i))
    await waitLinked(mesh)
    const alice = Identity.generate()
    const devices = [
      new Device(alice, 'alice-phone'),
      new Device(Identity.generate(), 'bob'),
      new Device(Identity.generate(), 'carol'),
      new Device(alice, 'alice-laptop'),
    ]
    const pair: [Device, Device] = [devices[0]!, devices[3]!]
    const relayOf = (d: number) => (d === 3 ? 1 : d)
    seedWorkload(devices, pair)
    adoptPair(pair)
    for (const [d, device] of devices.entries()) await device.connect(relays[relayOf(d)]!.url)
    for (const device of devices) await device.settle()
    await waitConverged(
      relays.map((r) => r.url),
      docsOf(devices),
    )

    // partition: every link cut, every relay keeps taking writes
    for (const proxy of mesh.proxies) proxy.cut()
    const writes = runWorkload(gen, devices, runs(25, 150))
    for (const device of devices) await device.settle()
    for (const device of devices) expect(device.refusals).toEqual([])
    const docIds = docsOf(devices)
    // nothing crossed the cut links
    const during = await Promise.all(relays.map((r) => readState(r.url, docIds)))
    expect(missingAcked(devices, during[0]!).length).toBeGreaterThan(0)

    const forwardedBefore = await sumFigure(relays, 'updatesOut')
    const healStart = performance.now()
    for (const proxy of mesh.proxies) proxy.restore()
    await waitConverged(
      relays.map((r) => r.url),
      docIds,
      30_000,
    )
    const healMs = performance.now() - healStart
    for (const relay of relays) {
      const docs = await readState(relay.url, docIds)
      expect(missingAcked(devices, docs), `acknowledged writes missing at ${relay.name}`).toEqual(
        [],
      )
    }

    // no loops: forwarding stays bounded and stops once converged
    await waitLinked(mesh)
    const forwarded = (await sumFigure(relays, 'updatesOut')) - forwardedBefore
    expect(forwarded).toBeLessThanOrEqual(writes * links.length * 2 + docIds.length * 6)
    await sleep(2500)
    expect((await sumFigure(relays, 'updatesOut')) - forwardedBefore).toBe(forwarded)
    for (const device of devices) await device.disconnect()
    return { writes, healMs, forwarded, docs: docIds.length }
  })
}

describe('mesh: partitions', () => {
  it('a chain of three converges after a partition, without loops', {
    timeout: 120_000,
  }, async () => {
    const report = await partitionRun(
      [
        [0, 1],
        [2, 1],
      ],
      seed,
    )
    console.info(
      `chain (seed ${seed}): ${report.writes} writes on ${report.docs} documents during the partition, ` +
        `healed in ${report.healMs.toFixed(0)} ms, ${report.forwarded} updates forwarded between relays`,
    )
  })

  it('a full mesh of three converges after a partition, without loops', {
    timeout: 120_000,
  }, async () => {
    const report = await partitionRun(
      [
        [0, 1],
        [1, 2],
        [2, 0],
      ],
      seed + 1,
    )
    console.info(
      `full mesh (seed ${seed + 1}): ${report.writes} writes on ${report.docs} documents during the partition, ` +
        `healed in ${report.healMs.toFixed(0)} ms, ${report.forwarded} updates forwarded between relays`,
    )
  })
})
