/**
 * Chaos: five relay processes in a full mesh (one TCP proxy per link),
 * several devices writing all the time, and a seeded random schedule of
 * partitions (cut proxies), heals, SIGKILLs and restarts (same data, same
 * port). A device whose relay dies moves to another one and starts over
 * from that relay's state (so no device can fill in what the mesh lost).
 * At the end every link is restored and every relay restarted: all
 * replicas are identical and every acknowledged write (its record at the
 * acknowledged version or later, and its Yjs item) is on every relay.
 * 20 seconds of chaos in CI, two minutes with `EXTENSIVE=1`; `SEED=<n>`
 * replays the schedule (the timing of the processes is not replayable).
 */
import { Identity } from '@feedmesh/core'
import * as prng from 'lib0/prng'
import { afterAll, describe, expect, it } from 'vitest'
import { Device } from './helpers/Device.js'
import { readState, sleep, startMesh, type TestMesh, waitConverged } from './helpers/mesh.js'
import { killAllRelays } from './helpers/spawnRelay.js'
import { docsOf, missingAcked, runWorkload, seedWorkload } from './helpers/workload.js'
import { extensive, seed, withSeed } from './storeFuzz.js'

afterAll(killAllRelays)

const SIZE = 5
const DEVICES = 6
const CHAOS_MS = extensive ? 120_000 : 20_000

function up(mesh: TestMesh): number[] {
  return mesh.nodes.filter((n) => n.relay !== undefined).map((n) => n.index)
}

describe('mesh: chaos', () => {
  it('converges with every acknowledged write after partitions, kills and restarts', {
    timeout: CHAOS_MS + 150_000,
  }, async () => {
    await withSeed(seed, async (gen) => {
      const links: [number, number][] = []
      for (let i = 0; i < SIZE; i++) for (let j = i + 1; j < SIZE; j++) links.push([i, j])
      const mesh = await startMesh({ size: SIZE, links })
      const devices = Array.from(
        { length: DEVICES },
        (_, i) => new Device(Identity.generate(), `device${i}`),
      )
      seedWorkload(devices)
      for (const [i, device] of devices.entries()) await device.connect(mesh.relay(i % SIZE).url)

      let stop = false
      const events: string[] = []
      const writer = async (device: Device, wgen: prng.PRNG) => {
        while (!stop) {
          if (device.client === undefined) {
            const candidates = up(mesh)
            const target = candidates.length > 0 ? prng.oneOf(wgen, candidates) : undefined
            if (target !== undefined) {
              try {
                await device.connect(mesh.relay(target).url, 'fresh')
              } catch {
                await device.disconnect()
              }
            }
          }
          runWorkload(wgen, [device], 1)
          await sleep(prng.int32(wgen, 20, 80))
        }
      }
      const writers = devices.map((device, i) => writer(device, prng.create(seed * 31 + i)))

      const started = performance.now()
      let kills = 0
      let cuts = 0
      while (performance.now() - started < CHAOS_MS) {
        await sleep(prng.int32(gen, 400, 1200))
        const cut = mesh.proxies.filter((p) => p.isCut)
        const whole = mesh.proxies.filter((p) => !p.isCut)
        const down = mesh.nodes.filter((n) => n.relay === undefined).map((n) => n.index)
        const action = prng.int32(gen, 0, 3)
        if (action === 0 && whole.length > 0) {
          prng.oneOf(gen, whole).cut()
          cuts++
          events.push('cut')
        } else if (action === 1 && cut.length > 0) {
          prng.oneOf(gen, cut).restore()
          events.push('heal')
        } else if (action === 2 && down.length < 2) {
          const victim = prng.oneOf(gen, up(mesh))
          await mesh.stop(victim, 'SIGKILL')
          kills++
          events.push(`kill ${victim}`)
        } else if (down.length > 0) {
          const back = prng.oneOf(gen, down)
          await mesh.start(back)
          events.push(`restart ${back}`)
        }
      }

      // end of chaos: heal everything, restart everyone, let writers finish
      for (const proxy of mesh.proxies) proxy.restore()
      for (const node of mesh.nodes) if (node.relay === undefined) await mesh.start(node.index)
      stop = true
      await Promise.all(writers)
      for (const device of devices) {
        // what was sent before the end is answered (or its connection is gone)
        await device.settle(30_000).catch(() => device.disconnect())
      }
      const docIds = docsOf(devices)
      const urls = mesh.nodes.map((n) => mesh.relay(n.index).url)
      const convergeMs = await waitConverged(urls, docIds, 90_000)
      let acked = 0
      let ackedWrites = 0
      for (const device of devices) {
        acked += device.acked.size
        ackedWrites += device.ackedWrites
      }
      for (const url of urls) {
        const docs = await readState(url, docIds)
        expect(missingAcked(devices, docs), `acknowledged writes missing at ${url}`).toEqual([])
      }
      for (const device of devices) {
        expect(device.refusals).toEqual([])
        await device.disconnect()
      }
      console.info(
        `chaos (seed ${seed}): ${(CHAOS_MS / 1000).toFixed(0)} s, ${kills} SIGKILLs, ${cuts} cuts ` +
          `[${events.join(', ')}]; ${ackedWrites} acknowledged writes (${acked} records) on ${docIds.length} documents, ` +
          `all present on ${SIZE} identical relays ${convergeMs.toFixed(0)} ms after the last heal`,
      )
      expect(acked).toBeGreaterThan(0)
    })
  })
})
