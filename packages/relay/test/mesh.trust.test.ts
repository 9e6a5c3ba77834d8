/**
 * Peer links authenticate both ways: a relay refuses a link with a key it
 * does not trust, whichever side dialed, with `ERROR untrusted-peer`, close
 * 4002 and a log line on the refusing side; a trusted link carries changes
 * both ways whichever side opened it; two relays that list each other keep
 * one link (the one dialed by the smaller key), and the other dialer stays
 * quiet instead of reconnecting in a loop.
 */
import { Identity, postsDocId, threadDocId } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import { loadRelayKey } from '../src/relayKey.js'
import { Device } from './helpers/Device.js'
import {
  healthOf,
  quickMesh,
  sleep,
  startMesh,
  waitConverged,
  waitLinked,
  waitUntil,
} from './helpers/mesh.js'
import { killAllRelays, spawnRelay, tempDir } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const stranger = Identity.generate().userId

describe('mesh: trust', () => {
  it('refuses an untrusted peer key on either side, with 4002, and logs it', async () => {
    // 1. the dialer does not trust the relay it dials
    const bData = tempDir()
    const aData = tempDir()
    const aKey = loadRelayKey(aData).userId
    const b = await spawnRelay({ data: bData, args: ['--trust', aKey] })
    const a = await spawnRelay({
      data: aData,
      args: ['--peer', b.url, '--trust', stranger, ...quickMesh],
    })
    await waitUntil(
      () => a.stderr().includes('refused a peer link from an untrusted relay key'),
      'the dialer to refuse the untrusted relay it dialed',
    )
    expect(a.stderr()).toContain(b.publicKey)
    await waitUntil(
      () => b.stderr().includes('untrusted-peer'),
      'the refused side to log the refusal',
    )
    const aPeers = (await healthOf(a)).peers
    expect(aPeers.some((p) => p.connected)).toBe(false)
    expect(aPeers.find((p) => p.publicKey === null || p.publicKey === b.publicKey)).toBeDefined()

    // 2. the dialed relay does not trust the dialer
    const d = await spawnRelay({ args: ['--trust', stranger] })
    const c = await spawnRelay({ args: ['--peer', d.url, '--trust', d.publicKey, ...quickMesh] })
    await waitUntil(
      () => d.stderr().includes('refused a peer link from an untrusted relay key'),
      'the dialed relay to refuse an untrusted dialer',
    )
    expect(d.stderr()).toContain(c.publicKey)
    await waitUntil(() => c.stderr().includes('peer link refused'), 'the dialer to log 4002')
    expect(c.stderr()).toContain('"code":4002')
    // the refusal comes at HELLO: the dialer never learned the key, /healthz shows the URL
    const cPeers = (await healthOf(c)).peers
    expect(cPeers.some((p) => p.connected)).toBe(false)
    const byUrl = cPeers.find((p) => p.url === d.url)
    expect(byUrl?.lastError ?? '').toMatch(/4002|untrusted/)
    // the refused dialer retries slowly, not in a loop
    const before = (c.stderr().match(/peer link refused/g) ?? []).length
    await sleep(1200)
    const after = (c.stderr().match(/peer link refused/g) ?? []).length
    expect(after - before).toBeLessThanOrEqual(3)
  })

  it('syncs both ways over one link; relays that list each other keep one', async () => {
    const mesh = await startMesh({
      size: 2,
      links: [
        [0, 1],
        [1, 0],
      ],
    })
    const [r0, r1] = [mesh.relay(0), mesh.relay(1)]
    await waitLinked(mesh)
    const alice = new Device(Identity.generate(), 'alice@0')
    const bob = new Device(Identity.generate(), 'bob@1')
    await alice.connect(r0.url)
    await bob.connect(r1.url)
    const posts = postsDocId(alice.identity.userId, '2026-01')
    const thread = threadDocId(alice.identity.userId, 'p1')
    alice.write(posts, [{ type: 'post', id: 'p1', body: { text: 'from relay 0' } }])
    bob.write(thread, [{ type: 'comment', id: 'c1', body: { text: 'from relay 1' } }])
    await alice.settle()
    await bob.settle()
    await waitConverged([r0.url, r1.url], [posts, thread], 10_000)

    // one link: the two ends agree on it, and it stays
    await sleep(1500)
    const [h0, h1] = [await healthOf(r0), await healthOf(r1)]
    const p0 = h0.peers.find((p) => p.publicKey === r1.publicKey)!
    const p1 = h1.peers.find((p) => p.publicKey === r0.publicKey)!
    expect(p0.connected && p1.connected).toBe(true)
    expect(new Set([p0.direction, p1.direction])).toEqual(new Set(['dialed', 'accepted']))
    const smaller = r0.publicKey < r1.publicKey ? 0 : 1
    expect((smaller === 0 ? p0 : p1).direction).toBe('dialed')
    const forwarded = mesh.proxies.map((p) => p.forwarded)
    await sleep(1500)
    expect(mesh.proxies.map((p) => p.forwarded)).toEqual(forwarded)
    expect(p0.updatesIn + p1.updatesIn).toBeGreaterThanOrEqual(2)
  })
})
