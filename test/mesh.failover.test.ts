/**
 * Client failover in a mesh (issue 4, "Client failover"): three relay
 * processes in a full mesh (each trusts the other two), a writer W on
 * `[relay1, relay2]` and a reader R on relay3. W posts and comments in a
 * seeded burst; relay1 is SIGKILLed in the middle of it, with writes still
 * pending in W's outbox. W fails over to relay2 and:
 * - every write it made (by post and comment id) reaches R, which only
 *   talks to relay3, through the mesh, while relay1 is still down;
 * - its outbox empties by acknowledgements only (nothing refused, no
 *   pending count going down while offline);
 * - nothing it saw ever disappears from its own live queries (each write
 *   is visible at once and stays: read-your-writes across the failover).
 * R comments while relay1 is down; relay1 restarts on its data and port,
 * catches up from its peers (R's comments, which no author repair sends
 * it, reach a fresh client on relay1, and relay1's peers report documents
 * updated), and W goes back to it. Seeded: `SEED=<n>` replays the burst.
 */
import type { CommentRef, FeedClient, LiveQuery, PostRef, ThreadView } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import { openClient, portOf, relaysSeen, until } from './helpers/clients.js'
import {
  healthOf,
  meshTestFlags,
  relayKeys,
  trustFlags,
  untilJsonEqual,
  waitPeers,
} from './helpers/mesh.js'
import { runs, seed, withSeed } from './helpers/seed.js'
import { killAllRelays, spawnRelay, tempDir } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

/** Ids a posts view shows. */
const postIds = (q: LiveQuery<{ posts: { ref: PostRef }[] }>): string[] =>
  q.current.posts.map((p) => p.ref.postId).sort()

/** Ids a thread view shows. */
const commentIds = (view: ThreadView): string[] => view.comments.map((c) => c.ref.commentId).sort()

/** Opens `client.thread(ref)` for every ref, keyed by post id. */
function threads(client: FeedClient, refs: readonly PostRef[]): Map<string, LiveQuery<ThreadView>> {
  return new Map(refs.map((ref) => [ref.postId, client.thread(ref)]))
}

describe('client failover in a three-relay full mesh', () => {
  it('a writer whose relay is SIGKILLed mid-burst fails over; every write reaches a reader through the mesh; the relay catches up and the writer returns', async () => {
    await withSeed(seed, 'mesh.failover.test.ts', async (gen) => {
      const data = [tempDir(), tempDir(), tempDir()]
      const keys = await relayKeys(data)
      const [k1, k2, k3] = keys as [string, string, string]
      const flags = (i: number) => [
        '--name',
        `relay${i + 1}`,
        ...trustFlags(keys, keys[i]!),
        ...meshTestFlags,
      ]
      // Full mesh: 1 dials 2 and 3, 2 dials 3 (so only relay1's port must stay stable).
      const relay3 = await spawnRelay({ data: data[2], args: flags(2) })
      const relay2 = await spawnRelay({ data: data[1], args: [...flags(1), '--peer', relay3.url] })
      const relay1 = await spawnRelay({
        data: data[0],
        args: [...flags(0), '--peer', relay2.url, '--peer', relay3.url],
      })
      await Promise.all([
        waitPeers(relay1, [k2, k3]),
        waitPeers(relay2, [k1, k3]),
        waitPeers(relay3, [k1, k2]),
      ])

      const w = await openClient([relay1.url, relay2.url])
      const r = await openClient([relay3.url])
      const status = w.client.syncStatus()
      const wid = w.identity.userId
      await until(() => status.current.relay === 'relay1' && status.current.synced, 'W on relay1')

      // W's own views: whatever they showed once must stay (checked on every change).
      const own = w.client.posts(wid, { pageSize: 1000 })
      const ownThreads = new Map<string, LiveQuery<ThreadView>>()
      const vanished: string[] = []
      const seenPosts = new Set<string>()
      own.subscribe((view) => {
        const now = new Set(view.posts.map((p) => p.ref.postId))
        for (const id of seenPosts) if (!now.has(id)) vanished.push(`post ${id}`)
        for (const id of now) seenPosts.add(id)
      })
      const watchThread = (ref: PostRef) => {
        const query = w.client.thread(ref)
        const seen = new Set<string>()
        query.subscribe((view) => {
          const now = new Set(commentIds(view))
          for (const id of seen) if (!now.has(id)) vanished.push(`comment ${id} of ${ref.postId}`)
          for (const id of now) seen.add(id)
        })
        ownThreads.set(ref.postId, query)
      }

      // The burst: posts and comments with small seeded gaps; relay1 dies in the middle.
      const total = runs(30, 150)
      const killAt = Math.floor(total / 3) + gen.int(Math.floor(total / 3))
      const posts: PostRef[] = []
      const comments: CommentRef[] = []
      let pendingAtKill = -1
      let killed: Promise<unknown> | undefined
      for (let i = 0; i < total; i++) {
        if (posts.length === 0 || gen.chance(0.4)) {
          const ref = await w.client.post(`post ${i}`)
          posts.push(ref)
          watchThread(ref)
          // Read-your-writes: visible at once in W's own views.
          expect(postIds(own)).toContain(ref.postId)
        } else {
          const target = gen.pick(posts)
          const ref = await w.client.comment(target, `comment ${i}`)
          comments.push(ref)
          expect(commentIds(ownThreads.get(target.postId)!.current)).toContain(ref.commentId)
        }
        if (i === killAt) {
          pendingAtKill = status.current.pending
          killed = relay1.kill('SIGKILL')
        }
        await new Promise((resolve) => setTimeout(resolve, gen.int(25)))
      }
      await killed
      expect(pendingAtKill, 'writes still pending when relay1 died').toBeGreaterThan(0)

      await until(() => status.current.relay === 'relay2', 'W failed over to relay2')
      await until(() => status.current.pending === 0, "W's outbox acknowledged by relay2")
      expect(await w.storage.outbox()).toEqual([])
      expect(status.current.refused).toBe(0)
      // Only acknowledgements empty the outbox: the count never went down while offline.
      for (const [i, s] of w.statuses.entries()) {
        const before = w.statuses[i - 1]
        if (before !== undefined && s.pending < before.pending) expect(s.online).toBe(true)
      }

      // R (on relay3 only) gets every write W made, through the mesh, while relay1 is down.
      const rPosts = r.client.posts(wid, { pageSize: 1000 })
      const wantPosts = posts.map((p) => p.postId).sort()
      await untilJsonEqual(
        () => postIds(rPosts),
        () => wantPosts,
        'every post of W at R',
      )
      const rThreads = threads(r.client, posts)
      for (const ref of posts) {
        const want = comments
          .filter((c) => c.post.postId === ref.postId)
          .map((c) => c.commentId)
          .sort()
        await untilJsonEqual(
          () => commentIds(rThreads.get(ref.postId)!.current),
          () => want,
          `comments of ${ref.postId} at R`,
        )
      }
      await untilJsonEqual(
        () => rPosts.current,
        () => own.current,
        "R's view of W's posts equals W's",
      )

      // R comments while relay1 is down: only the mesh can bring these to relay1.
      const rComments: CommentRef[] = []
      for (const ref of posts.slice(0, 3)) rComments.push(await r.client.comment(ref, 'from R'))
      for (const c of rComments) {
        await until(
          () => commentIds(ownThreads.get(c.post.postId)!.current).includes(c.commentId),
          "R's comment at W",
        )
      }

      // relay1 restarts on its data and port, catches up from its peers, and W goes back to it.
      const again = await spawnRelay({
        data: data[0],
        port: portOf(relay1.url),
        args: [...flags(0), '--peer', relay2.url, '--peer', relay3.url],
      })
      await waitPeers(again, [k2, k3])
      const fresh = await openClient([again.url])
      const fPosts = fresh.client.posts(wid, { pageSize: 1000 })
      await untilJsonEqual(
        () => fPosts.current,
        () => own.current,
        "W's posts at a fresh client on relay1",
      )
      const fThreads = threads(fresh.client, posts)
      for (const ref of posts) {
        const mine = ownThreads.get(ref.postId)!
        const theirs = fThreads.get(ref.postId)!
        await untilJsonEqual(
          () => ({ ...theirs.current, myReactions: [] }),
          () => ({ ...mine.current, myReactions: [] }),
          `thread ${ref.postId} at relay1`,
        )
      }
      // What relay1 got from its peers: its own catch-up rounds (docsUpdated) or its peers' push-back (updatesIn).
      const health = await healthOf(again)
      expect(health.peers.reduce((n, p) => n + p.docsUpdated + p.updatesIn, 0)).toBeGreaterThan(0)

      await until(() => status.current.relay === 'relay1', 'W back on relay1', 15_000)
      await w.client.post('after the return')
      await until(() => status.current.pending === 0, 'acknowledged by relay1')
      expect(relaysSeen(w.statuses)).toEqual(['-', 'relay1', '-', 'relay2', 'relay1'])
      expect(status.current).toMatchObject({
        online: true,
        relay: 'relay1',
        refused: 0,
        failedRelays: [],
      })
      expect(vanished).toEqual([])
      expect(own.current.posts).toHaveLength(posts.length + 1)
      expect(postIds(own)).toEqual(expect.arrayContaining(wantPosts))
      for (const c of [w, r, fresh]) expect(c.client.stats().droppedRecords).toBe(0)
    })
  })
})
