/**
 * Unit tests of the relay's small pieces: token buckets, the command line,
 * SYNCED packing, static path resolution, limits and block lists.
 */
import path from 'node:path'
import { decodeMessage, Identity, MessageTypes, userDocId } from '@feedmesh/core'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { blockListOf } from '../src/blockList.js'
import { DEFAULT_DATA, parseCli } from '../src/cliArgs.js'
import { DefaultRelayLimits, resolveLimits } from '../src/relayOptions.js'
import { resolveInside } from '../src/staticFiles.js'
import { packSynced } from '../src/syncedFrames.js'
import { TokenBucket } from '../src/TokenBucket.js'
import { UserRateLimits } from '../src/UserRateLimits.js'
import { write } from './helpers/records.js'

describe('TokenBucket', () => {
  it('allows a burst, then the rate', () => {
    let now = 0
    const bucket = new TokenBucket(10, 3, () => now)
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ])
    now += 100 // one token
    expect([bucket.take(), bucket.take()]).toEqual([true, false])
    now += 10_000
    expect(bucket.full()).toBe(true)
  })

  it('per user: shared across calls, forgotten when full', () => {
    const limits = new UserRateLimits(1, 2)
    expect([limits.take('a'), limits.take('a'), limits.take('a'), limits.take('b')]).toEqual([
      true,
      true,
      false,
      true,
    ])
    expect(limits.size).toBe(2)
  })
})

describe('parseCli', () => {
  it('reads flags over environment variables over defaults', () => {
    const cmd = parseCli(['--port', '4000', '--max-docs', '5'], {
      FEEDMESH_PORT: '9',
      FEEDMESH_NAME: 'n',
    })
    expect(cmd).toMatchObject({
      command: 'serve',
      options: { port: 4000, name: 'n', data: DEFAULT_DATA, limits: { maxDocsPerConnection: 5 } },
      logLevel: 'info',
    })
    expect(parseCli(['key', '--data', '/d'], {})).toEqual({ command: 'key', data: '/d' })
    expect(parseCli(['-h'], {})).toEqual({ command: 'help' })
  })

  it('refuses bad values with a usage error', () => {
    expect(() => parseCli(['--port', '70000'], {})).toThrow(/--port/)
    expect(() => parseCli(['--conn-rate', '0'], {})).toThrow(/above 0/)
    expect(() => parseCli(['--log-level', 'loud'], {})).toThrow(/log-level/)
    expect(() => parseCli(['serve'], {})).toThrow(/unknown command/)
    expect(() => parseCli([], { FEEDMESH_MAX_FRAME_BYTES: 'big' })).toThrow(/max-frame-bytes/)
    expect(() => parseCli(['--client-relay', 'https://a.example'], {})).toThrow(
      '--client-relay needs a ws:// or wss:// URL, got "https://a.example"',
    )
    expect(() => parseCli([], { FEEDMESH_CLIENT_RELAYS: 'ws://a:1,not a url' })).toThrow(
      /--client-relay needs a ws:\/\/ or wss:\/\/ URL/,
    )
  })

  it('takes repeatable --client-relay, or its comma-separated environment list', () => {
    expect(
      parseCli(['--client-relay', 'ws://a:1', '--client-relay', 'wss://b.example'], {
        FEEDMESH_CLIENT_RELAYS: 'ws://ignored:1',
      }),
    ).toMatchObject({ options: { clientRelays: ['ws://a:1', 'wss://b.example'] } })
    expect(parseCli([], { FEEDMESH_CLIENT_RELAYS: ' ws://a:1 ,, wss://b.example ' })).toMatchObject(
      { options: { clientRelays: ['ws://a:1', 'wss://b.example'] } },
    )
    const none = parseCli([], {})
    expect(none.command === 'serve' && none.options.clientRelays).toBe(undefined)
  })
})

describe('resolveLimits', () => {
  it('fills defaults and refuses non-positive limits', () => {
    expect(resolveLimits({ maxBatch: 7 })).toEqual({ ...DefaultRelayLimits, maxBatch: 7 })
    expect(() => resolveLimits({ userRate: -1 })).toThrow(RangeError)
  })
})

describe('packSynced', () => {
  const entry = (i: number, size: number) => ({
    docId: `t/x/${i}`,
    update: new Uint8Array(size),
    stateVector: new Uint8Array([0]),
  })

  it('packs everything in one frame when it fits', () => {
    const { frames, tooLarge } = packSynced([entry(1, 10), entry(2, 10)], 'e', 4, 1000)
    expect(frames).toHaveLength(1)
    expect(tooLarge).toEqual([])
    expect(decodeMessage(frames[0]!)).toMatchObject({
      type: MessageTypes.Synced,
      more: false,
      seq: 4,
    })
  })

  it('splits at the frame limit, with more on all but the last, and sets apart what never fits', () => {
    const entries = Array.from({ length: 10 }, (_, i) => entry(i, 300))
    const { frames, tooLarge } = packSynced([...entries, entry(99, 5000)], 'e', 1, 1000)
    expect(tooLarge.map((e) => e.docId)).toEqual(['t/x/99'])
    const decoded = frames.map((f) => decodeMessage(f))
    expect(frames.every((f) => f.length <= 1000)).toBe(true)
    expect(decoded.map((m) => m.type === MessageTypes.Synced && m.more)).toEqual([
      ...Array(decoded.length - 1).fill(true),
      false,
    ])
    expect(decoded.flatMap((m) => (m.type === MessageTypes.Synced ? m.docs : []))).toHaveLength(10)
    expect(packSynced([], 'e', 0, 1000).frames).toHaveLength(1)
  })
})

describe('resolveInside', () => {
  const root = path.resolve('/srv/app')
  it('resolves paths inside the root and refuses escapes', () => {
    expect(resolveInside(root, '/a/b.js')).toBe(path.join(root, 'a/b.js'))
    expect(resolveInside(root, '/')).toBe(root)
    expect(resolveInside(root, '/../etc/passwd')).toBe(path.join(root, 'etc/passwd'))
    expect(resolveInside(root, '/%2e%2e/%2e%2e/etc')).toBe(path.join(root, 'etc'))
    expect(resolveInside(root, '/a%00b')).toBe(null)
    expect(resolveInside(root, '/%E0%A4%A')).toBe(null)
    expect(resolveInside(root, '/..\\x')).toBe(null)
  })
})

describe('blockListOf', () => {
  it('lists the live block records of the owner only', () => {
    const alice = Identity.generate()
    const bob = Identity.generate()
    const carol = Identity.generate()
    const doc = new Y.Doc()
    const id = userDocId(alice.userId)
    write(doc, id, alice, [
      { type: 'block', id: bob.userId, body: {} },
      { type: 'block', id: carol.userId, body: {} },
    ])
    write(doc, id, alice, [{ type: 'block', id: carol.userId, body: { deleted: true } }])
    // a block record by someone else in alice's document does not count
    write(doc, id, carol, [{ type: 'block', id: alice.userId, body: {} }])
    expect(blockListOf(doc, alice.userId)).toEqual(new Set([bob.userId]))
  })
})
