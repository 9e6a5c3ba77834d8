/**
 * A stock y-websocket 3.x client, unmodified, reads through the relay's
 * `/y/<docId>` endpoint a post that the `feedmesh` CLI wrote, and its forged
 * write to the same document is refused (the relay closes the socket with
 * 4403) and never stored.
 */
import { monthOf, parseRef, postsDocId, type SignedRecord } from '@feedmesh/core'
import { afterAll, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { killAllRelays, spawnRelay } from '../../relay/test/helpers/spawnRelay.js'
import { killAllClis, newUser, removeTemps } from './helpers/runCli.js'

afterAll(async () => {
  await killAllClis()
  await killAllRelays()
  removeTemps()
})

function provide(url: string, docId: string, doc: Y.Doc): WebsocketProvider {
  return new WebsocketProvider(`${url}/y`, docId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
}

function postsIn(doc: Y.Doc): SignedRecord[] {
  return [...doc.getMap<SignedRecord>('records').values()].filter((r) => r.type === 'post')
}

async function until<T>(what: string, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

it('a y-websocket client reads a post written by the CLI; its forged write is refused', async () => {
  const relay = await spawnRelay()
  const alice = await newUser(relay.url)
  const posted = await alice.run(['post', 'written by the feedmesh CLI', '--json'])
  expect(posted.code, posted.stderr).toBe(0)
  const { ref } = JSON.parse(posted.last) as { ref: string }
  // A post id starts with its creation time (9 base36 digits): it names the month bucket.
  const postId = parseRef(ref).postId
  const docId = postsDocId(alice.uid, monthOf(Number.parseInt(postId.slice(0, 9), 36)))

  const doc = new Y.Doc()
  const provider = provide(relay.url, docId, doc)
  try {
    const post = await until('the post', () => postsIn(doc)[0])
    expect(post.author).toBe(alice.uid)
    expect(post.body).toEqual({ text: 'written by the feedmesh CLI' })

    const closed = new Promise<number>((resolve) => {
      provider.on('connection-close', (event: { code: number } | null) => {
        if (event !== null) resolve(event.code)
      })
    })
    // A forgery: Alice's post with other text under a fresh key, keeping her signature.
    const forged = {
      ...post,
      id: 'forged',
      body: { text: 'not from alice' },
      yid: [doc.clientID, 0],
    }
    doc.getMap('records').set(`${alice.uid}/forged/1/${doc.clientID}`, forged)
    expect(await closed).toBe(4403)
  } finally {
    provider.destroy()
    doc.destroy()
  }

  const reader = new Y.Doc()
  const again = provide(relay.url, docId, reader)
  try {
    await until('a sync', () => (again.synced ? true : undefined))
    expect(postsIn(reader).map((r) => r.id)).toEqual([
      (await until('the post', () => postsIn(reader)[0])).id,
    ])
    expect(postsIn(reader).some((r) => r.id === 'forged')).toBe(false)
  } finally {
    again.destroy()
    reader.destroy()
  }
})
