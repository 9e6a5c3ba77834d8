/**
 * The compatibility endpoint `/y/<docId>` with an unmodified y-websocket
 * 3.x client: it reads a post written over the feedmesh protocol with
 * core's writeRecords, receives later edits live, and its forged writes
 * (a bad signature, an unauthenticated deletion) are refused: the socket
 * closes with 4403 `refused: <rule>` (y-websocket does not reconnect after
 * a 44xx code) and nothing is stored.
 */
import { Identity, keyOfRecord, postsDocId, recordsOf, signRecord } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { RawClient, readDocs } from './helpers/RawClient.js'
import { liveIds, write } from './helpers/records.js'
import { killAllRelays, spawnRelay, tempDir } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const alice = Identity.generate()
const posts = postsDocId(alice.userId, '2026-03')

function provide(url: string, docId: string, doc: Y.Doc): WebsocketProvider {
  return new WebsocketProvider(`${url}/y`, docId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
}

function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs
    const tick = () => {
      const value = check()
      if (value !== undefined) return resolve(value)
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(tick, 20)
    }
    tick()
  })
}

function closedWith(provider: WebsocketProvider): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the relay did not close the socket')), 10_000)
    provider.on('connection-close', (event: { code: number; reason: string } | null) => {
      if (event === null) return
      clearTimeout(timer)
      resolve({ code: event.code, reason: event.reason })
    })
  })
}

describe('relay: y-websocket compatibility', () => {
  it('serves a stock y-websocket client and refuses its forged writes', async () => {
    const data = tempDir()
    const relay = await spawnRelay({ data })
    const writer = await RawClient.open(relay.url, alice)
    const device = new Y.Doc()
    const post = write(device, posts, alice, [
      { type: 'post', id: 'hello', body: { text: 'from feedmesh' } },
    ])
    expect(await writer.write(posts, post.update)).toEqual({ ok: true })

    // an unmodified y-websocket client reads it
    const reader = new Y.Doc()
    const provider = provide(relay.url, posts, reader)
    try {
      await until('sync', () => (provider.synced ? true : undefined))
      const key = keyOfRecord(post.records[0]!)
      expect(recordsOf(reader).get(key)).toEqual(post.records[0])
      // and gets an edit live
      const edit = write(device, posts, alice, [
        { type: 'post', id: 'hello', body: { text: 'edited' } },
      ])
      expect(await writer.write(posts, edit.update)).toEqual({ ok: true })
      await until('the edit', () =>
        recordsOf(reader).has(keyOfRecord(edit.records[0]!)) && !recordsOf(reader).has(key)
          ? true
          : undefined,
      )
    } finally {
      provider.destroy()
      reader.destroy()
    }

    // a forged record through /y/ is refused and the socket closed for good
    const forger = new Y.Doc()
    const forgery = provide(relay.url, posts, forger)
    try {
      const closed = closedWith(forgery)
      await until('sync', () => (forgery.synced ? true : undefined))
      const record = signRecord(alice, {
        doc: posts,
        author: alice.userId,
        type: 'post',
        id: 'forged',
        rev: 1,
        at: 1,
        yid: [forger.clientID, Y.getState(forger.store, forger.clientID)],
        body: { text: 'signed' },
      })
      recordsOf(forger).set(keyOfRecord(record), { ...record, body: { text: 'altered' } })
      expect(await closed).toEqual({ code: 4403, reason: 'refused: bad-signature' })
    } finally {
      forgery.destroy()
      forger.destroy()
    }

    // an unauthenticated deletion of alice's post through /y/ is refused too
    const vandal = new Y.Doc()
    const vandalism = provide(relay.url, posts, vandal)
    try {
      const closed = closedWith(vandalism)
      await until('sync', () => (vandalism.synced ? true : undefined))
      for (const key of [...recordsOf(vandal).keys()]) recordsOf(vandal).delete(key)
      expect((await closed).code).toBe(4403)
    } finally {
      vandalism.destroy()
      vandal.destroy()
    }

    // a valid signed record passes through /y/ with no uploader: signatures make it legitimate
    const relayed = new Y.Doc()
    const honest = provide(relay.url, posts, relayed)
    try {
      await until('sync', () => (honest.synced ? true : undefined))
      write(relayed, posts, alice, [{ type: 'post', id: 'via-y', body: { text: 'relayed' } }])
      for (let i = 0; ; i++) {
        const docs = await readDocs(relay.url, [posts])
        if (liveIds(docs.get(posts)!).has(`${alice.userId}/via-y`)) break
        if (i > 100) throw new Error('the record written through /y/ never arrived')
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    } finally {
      honest.destroy()
      relayed.destroy()
    }

    const metrics = await (await relay.get('/metrics')).text()
    expect(metrics).toMatch(/feedmesh_relay_updates_refused_total\{rule="bad-signature"\} 1/)
    expect(metrics).toMatch(/feedmesh_relay_updates_refused_total\{rule="foreign-delete"\} 1/)
    // nothing refused was stored (after a restart on the same data)
    await writer.close()
    expect((await relay.kill('SIGTERM')).code).toBe(0)
    const again = await spawnRelay({ data })
    const docs = await readDocs(again.url, [posts])
    expect(liveIds(docs.get(posts)!)).toEqual(
      new Set([`${alice.userId}/hello`, `${alice.userId}/via-y`]),
    )
  })
})
