/**
 * A relay restored from an older backup reconciles and loses nothing the
 * others had. Relay 0 is stopped and its database copied aside (the
 * backup), then both relays take more writes (which replicate), relay 0 is
 * stopped, its database replaced by the backup as the operator guide says
 * (delete `-wal`/`-shm`, restore `relay.sqlite` only, keep the `epoch`
 * side file), and restarted: it starts a new epoch, its peer does a full
 * reconciliation, and every acknowledged write (also those relay 0 had
 * acknowledged itself after the backup) is back on both relays.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Identity } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import { Device } from './helpers/Device.js'
import {
  healthOf,
  readState,
  startMesh,
  waitConverged,
  waitLinked,
  waitUntil,
} from './helpers/mesh.js'
import { killAllRelays, tempDir } from './helpers/spawnRelay.js'
import { docsOf, missingAcked, runWorkload, seedWorkload } from './helpers/workload.js'
import { seed, withSeed } from './storeFuzz.js'

afterAll(killAllRelays)

describe('mesh: restore from backup', () => {
  it('reconciles a relay restored from an older backup, losing nothing', {
    timeout: 120_000,
  }, async () => {
    await withSeed(seed, async (gen) => {
      const mesh = await startMesh({ size: 2, links: [[0, 1]] })
      await waitLinked(mesh)
      const devices = [new Device(Identity.generate(), 'd0'), new Device(Identity.generate(), 'd1')]
      seedWorkload(devices)
      await devices[0]!.connect(mesh.relay(0).url)
      await devices[1]!.connect(mesh.relay(1).url)
      runWorkload(gen, devices, 5)
      for (const device of devices) await device.settle()
      await waitConverged([mesh.relay(0).url, mesh.relay(1).url], docsOf(devices))

      // the backup: relay 0 stopped cleanly, its database copied aside
      const node = mesh.nodes[0]!
      const oldEpoch = mesh.relay(0).epoch
      await devices[0]!.disconnect()
      await mesh.stop(0, 'SIGTERM')
      const backup = path.join(tempDir(), 'relay.sqlite')
      fs.copyFileSync(path.join(node.data, 'relay.sqlite'), backup)
      await mesh.start(0)
      await waitLinked(mesh)

      // more writes on both relays after the backup; they replicate
      await devices[0]!.connect(mesh.relay(0).url)
      runWorkload(gen, devices, 10)
      for (const device of devices) await device.settle()
      const docIds = docsOf(devices)
      await waitConverged([mesh.relay(0).url, mesh.relay(1).url], docIds)
      await waitLinked(mesh)
      const fullBefore = (await healthOf(mesh.relay(1))).peers.find(
        (p) => p.publicKey === node.publicKey,
      )!.fullReconciliations

      // restore: stop, delete -wal/-shm, put the old relay.sqlite back, restart
      await devices[0]!.disconnect()
      await mesh.stop(0, 'SIGTERM')
      for (const suffix of ['-wal', '-shm']) {
        fs.rmSync(path.join(node.data, `relay.sqlite${suffix}`), { force: true })
      }
      fs.copyFileSync(backup, path.join(node.data, 'relay.sqlite'))
      const restored = await mesh.start(0)
      expect(restored.epoch).not.toBe(oldEpoch)
      expect(restored.stderr()).toContain('"epochReason":"restored"')

      await waitConverged([mesh.relay(0).url, mesh.relay(1).url], docIds, 30_000)
      for (const relay of [mesh.relay(0), mesh.relay(1)]) {
        const docs = await readState(relay.url, docIds)
        expect(missingAcked(devices, docs), `missing at ${relay.name}`).toEqual([])
      }
      await waitUntil(
        async () =>
          (await healthOf(mesh.relay(1))).peers.find((p) => p.publicKey === node.publicKey)!
            .fullReconciliations > fullBefore,
        'the peer to reconcile fully with the restored relay',
      )
      for (const device of devices) await device.disconnect()
    })
  })
})
