/**
 * A client that writes while its relay is down (SIGKILL) keeps the writes
 * in its outbox; once the relay restarts on the same data directory (and
 * port) the outbox is sent again and emptied by acks only, the other client
 * converges, and what was acknowledged survives another SIGKILL.
 */
import { MemoryStorage } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import { openClient, until } from './helpers/clients.js'
import { killAllRelays, spawnRelay, tempDir } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const portOf = (url: string): number => Number(new URL(url).port)

describe('relay down and back', () => {
  it('writes made while the relay is down land after it restarts; the outbox empties only by acks', async () => {
    const data = tempDir()
    const first = await spawnRelay({ data, args: ['--name', 'phoenix'] })
    const port = portOf(first.url)
    const a = await openClient([first.url])
    // Bob resumes catch-up from the relay's sequence (unchanged documents are not sent again).
    const b = await openClient([first.url], { resume: true })
    const aStatus = a.client.syncStatus()
    const bTimeline = b.client.timeline()
    await b.client.follow(a.identity.userId)
    await a.client.post('before the crash')
    await until(() => bTimeline.current.posts.length === 1, 'first post at bob')
    await until(() => aStatus.current.pending === 0, 'first acks')

    await first.kill('SIGKILL')
    await until(() => !aStatus.current.online, 'alice notices')
    const texts = ['offline one', 'offline two', 'offline three']
    for (const text of texts) await a.client.post(text)
    await a.client.setProfile({ name: 'Alice (offline)' })
    const pending = aStatus.current.pending
    expect(pending).toBeGreaterThanOrEqual(texts.length + 1)
    // Reconnect attempts fail and say why; nothing leaves the outbox meanwhile.
    await until(() => aStatus.current.lastError?.code === 'unreachable', 'unreachable reported')
    await new Promise((r) => setTimeout(r, 300))
    expect(aStatus.current).toMatchObject({ online: false, synced: false, pending })
    expect(await a.storage.outbox()).toHaveLength(pending)

    const second = await spawnRelay({ data, port, args: ['--name', 'phoenix'] })
    expect(second.epoch).toBe(first.epoch) // the same store
    await until(() => aStatus.current.online, 'alice back online', 15_000)
    await until(() => aStatus.current.pending === 0, 'outbox sent and acknowledged', 15_000)
    expect(await a.storage.outbox()).toEqual([])
    expect(aStatus.current.refused).toBe(0)
    await until(() => bTimeline.current.posts.length === 4, "alice's offline posts at bob", 15_000)
    expect(bTimeline.current.posts.map((p) => p.text).sort()).toEqual(
      ['before the crash', ...texts].sort(),
    )
    await until(() => b.client.syncStatus().current.synced, 'bob synced after the restart')
    expect(b.transports[0]?.resumePoint?.epoch).toBe(first.epoch)

    // Acknowledged means durable: kill the relay again and read from a fresh device.
    await second.kill('SIGKILL')
    const third = await spawnRelay({ data, port, args: ['--name', 'phoenix'] })
    const reader = await openClient([third.url], {
      identity: b.identity,
      storage: new MemoryStorage(),
    })
    const timeline = reader.client.timeline()
    const profile = reader.client.profile(a.identity.userId)
    await reader.client.whenSynced({ timeoutMs: 10_000 })
    expect(timeline.current.posts.map((p) => p.text).sort()).toEqual(
      ['before the crash', ...texts].sort(),
    )
    expect(profile.current.name).toBe('Alice (offline)')
  })
})
