/**
 * Unit tests of the mesh's small pieces: the echo filter (which documents
 * a peer would only get its own changes back from), reconnect backoff with
 * jitter, per-peer lag, and the mesh flags of the command line.
 */
import { Identity } from '@feedmesh/core'
import { describe, expect, it } from 'vitest'
import { parseCli } from '../src/cliArgs.js'
import { backoffDelay } from '../src/mesh/backoff.js'
import { EchoIndex } from '../src/mesh/EchoIndex.js'
import { PeerStats } from '../src/mesh/PeerStats.js'

describe('EchoIndex', () => {
  it('leaves out a document only when every change since the cursor came from that peer', () => {
    const echoes = new EchoIndex()
    echoes.record('d', 5, 0, 'A') // created by A at 5
    echoes.record('d', 9, 5, 'A') // A again at 9
    expect(echoes.isEcho('A', 'd', 9, 0)).toBe(true)
    expect(echoes.isEcho('A', 'd', 9, 7)).toBe(true)
    expect(echoes.isEcho('B', 'd', 9, 7)).toBe(false)
    // a newer change not recorded yet (its seq is not the run's last): not an echo
    expect(echoes.isEcho('A', 'd', 12, 7)).toBe(false)
    // a client change breaks the run; A's next change starts a new one after it
    echoes.record('d', 12, 9, undefined)
    expect(echoes.isEcho('A', 'd', 12, 7)).toBe(false)
    echoes.record('d', 14, 12, 'A')
    expect(echoes.isEcho('A', 'd', 14, 12)).toBe(true)
    expect(echoes.isEcho('A', 'd', 14, 11)).toBe(false) // the client change at 12 is after 11
    // another peer's change starts another run
    echoes.record('d', 15, 14, 'B')
    expect(echoes.isEcho('A', 'd', 15, 14)).toBe(false)
    expect(echoes.isEcho('B', 'd', 15, 14)).toBe(true)
    // a gap (a change not seen) starts a new run at the gap
    echoes.record('e', 3, 0, 'A')
    echoes.record('e', 8, 6, 'A')
    expect(echoes.isEcho('A', 'e', 8, 3)).toBe(false)
    expect(echoes.isEcho('A', 'e', 8, 6)).toBe(true)
    echoes.forget('A')
    expect(echoes.isEcho('A', 'e', 8, 6)).toBe(false)
    expect(echoes.isEcho('B', 'd', 15, 14)).toBe(true)
  })

  it('starts over when full (forgetting only ever syncs more)', () => {
    const echoes = new EchoIndex(3)
    for (let i = 0; i < 3; i++) echoes.record(`d${i}`, i + 1, 0, 'A')
    expect(echoes.size).toBe(3)
    echoes.record('d3', 4, 0, 'A')
    expect(echoes.size).toBe(1)
    expect(echoes.isEcho('A', 'd0', 1, 0)).toBe(false)
    expect(echoes.isEcho('A', 'd3', 4, 0)).toBe(true)
  })
})

describe('backoffDelay', () => {
  it('doubles from min up to max, with jitter in [0.5, 1)', () => {
    expect(backoffDelay(0, 100, 5000, () => 0)).toBe(50)
    expect(backoffDelay(0, 100, 5000, () => 0.999)).toBeLessThanOrEqual(100)
    expect(backoffDelay(3, 100, 5000, () => 0.999)).toBeLessThanOrEqual(800)
    expect(backoffDelay(3, 100, 5000, () => 0)).toBe(400)
    expect(backoffDelay(50, 100, 5000, () => 0.999)).toBeLessThanOrEqual(5000)
    expect(backoffDelay(50, 100, 5000, () => 0)).toBe(2500)
  })
})

describe('PeerStats', () => {
  it('reports lag against the cursor of the same epoch, and everything after an epoch change', () => {
    const stats = new PeerStats('k')
    stats.sawSeq('e1', 40)
    expect(stats.lag).toBe(40)
    stats.cursor = { epoch: 'e1', seq: 30 }
    expect(stats.lag).toBe(10)
    stats.sawSeq('e1', 35) // older news: kept at 40
    expect(stats.lag).toBe(10)
    stats.sawSeq('e2', 5)
    expect(stats.lag).toBe(5)
    stats.add('docsSynced', 7)
    expect(stats.toHealth()).toMatchObject({ publicKey: 'k', docsSynced: 7, lag: 5, cursor: 0 })
  })
})

describe('parseCli: mesh flags', () => {
  const k1 = Identity.generate().userId
  const k2 = `-${Identity.generate().userId.slice(1)}`
  it('takes repeatable --peer and --trust (keys may start with a dash), or their environment lists', () => {
    const cmd = parseCli(
      ['--peer', 'ws://a:1', '--peer', 'wss://b.example', '--trust', k1, '--trust', k2],
      { FEEDMESH_PEERS: 'ws://ignored:1' },
    )
    expect(cmd).toMatchObject({
      command: 'serve',
      options: { peers: ['ws://a:1', 'wss://b.example'], trust: [k1, k2] },
    })
    const fromEnv = parseCli([], {
      FEEDMESH_PEERS: 'ws://a:1, ws://c:3',
      FEEDMESH_TRUST: `${k1},${k2}`,
      FEEDMESH_PEER_SYNC_MS: '500',
      FEEDMESH_IDLE_TIMEOUT_MS: '0',
    })
    expect(fromEnv).toMatchObject({
      options: {
        peers: ['ws://a:1', 'ws://c:3'],
        trust: [k1, k2],
        mesh: { syncIntervalMs: 500 },
        idleTimeoutMs: 0,
      },
    })
  })

  it('refuses a peer that is not a ws URL and a trust that is not a key', () => {
    expect(() => parseCli(['--peer', 'http://a:1'], {})).toThrow(/--peer/)
    expect(() => parseCli(['--trust', 'nope'], {})).toThrow(/--trust/)
    expect(() => parseCli(['--peer-sync-ms', '0'], {})).toThrow(/above 0/)
  })
})
