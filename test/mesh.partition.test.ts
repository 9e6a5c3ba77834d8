/**
 * A partition in a chain of three relay processes, seen from FeedClients
 * (issue 4, "Tests"): `a - b - c`, where `a` dials `b` through a TCP proxy
 * the test cuts and restores, and `c` dials `b` directly. Alice has two
 * devices (one Identity, separate storage): her phone on `a`, her laptop
 * on `c`; Bob writes on `a`, Carol on `c`. While `a` is cut off, a seeded
 * schedule of posts, edits (both devices editing the same posts), deletes,
 * comments, comment edits, reactions, follows and unfollows runs on both
 * sides, each acknowledged by its own relay. After the link is restored:
 * - Alice's timeline is the same JSON on both devices, and so are her
 *   thread views (including her own reactions);
 * - every client, and a fresh client per relay (new identity, empty
 *   storage: it shows what that relay's documents hold), shows the same
 *   posts of every user, the same threads of every post (comments and
 *   reactions), the same follow lists and profiles.
 * Seeded: `SEED=<n>` replays the schedule; `EXTENSIVE=1` runs a longer one.
 */
import type {
  CommentRef,
  FeedClient,
  LiveQuery,
  PostRef,
  PostsView,
  ProfileView,
  ThreadView,
  UserId,
} from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import { openClient, type TestClient, until } from './helpers/clients.js'
import { meshTestFlags, relayKeys, trustFlags, untilJsonEqual, waitPeers } from './helpers/mesh.js'
import { type Rng, runs, seed, withSeed } from './helpers/seed.js'
import { killAllRelays, spawnRelay, tempDir } from './helpers/spawnRelay.js'
import { startTcpProxy } from './helpers/tcpProxy.js'

afterAll(killAllRelays)

const big = { pageSize: 1000 }
const emojis = ['👍', '🎉', '🔥'] as const

/** What one test device knows it wrote (the schedule chooses from this, never from timing-dependent views). */
interface Device {
  name: string
  c: TestClient
  /** Posts this device may edit or delete (its user's, not deleted on this device's side). */
  own: PostRef[]
  /** Posts this device may comment on or react to. */
  known: PostRef[]
  /** This device's comments (it may edit them). */
  comments: CommentRef[]
  /** Who this device believes its user follows. */
  follows: Set<UserId>
}

/** The live queries compared across clients. */
interface Views {
  posts: Map<UserId, LiveQuery<PostsView>>
  following: Map<UserId, LiveQuery<UserId[]>>
  followers: Map<UserId, LiveQuery<UserId[]>>
  profiles: Map<UserId, LiveQuery<ProfileView>>
  threads: Map<string, LiveQuery<ThreadView>>
}

function openViews(client: FeedClient, users: readonly UserId[]): Views {
  return {
    posts: new Map(users.map((u) => [u, client.posts(u, big)])),
    following: new Map(users.map((u) => [u, client.following(u)])),
    followers: new Map(users.map((u) => [u, client.followers(u)])),
    profiles: new Map(users.map((u) => [u, client.profile(u)])),
    threads: new Map(),
  }
}

function openThreads(client: FeedClient, views: Views, refs: readonly PostRef[]): void {
  for (const ref of refs) {
    const key = `${ref.author}/${ref.postId}`
    if (!views.threads.has(key)) views.threads.set(key, client.thread(ref))
  }
}

/** What every client must agree on (own reactions left out: they depend on who reads). */
function shared(views: Views): unknown {
  const values = <T>(m: Map<string, LiveQuery<T>>) =>
    [...m].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, q]) => [k, q.current])
  return {
    posts: values(views.posts),
    following: values(views.following),
    followers: values(views.followers),
    profiles: values(views.profiles),
    threads: values(views.threads).map(([k, v]) => {
      const { myReactions: _, ...rest } = v as ThreadView
      return [k, rest]
    }),
  }
}

/** One seeded operation on `d` during the partition; returns what it did. */
async function step(gen: Rng, d: Device, others: readonly UserId[], i: number): Promise<string> {
  const roll = gen.int(100)
  const client = d.c.client
  if (roll < 20 || d.known.length === 0) {
    const ref = await client.post(`${d.name} ${i}`)
    d.own.push(ref)
    d.known.push(ref)
    return 'post'
  }
  if (roll < 40 && d.own.length > 0) {
    await client.editPost(gen.pick(d.own), `${d.name} edit ${i}`)
    return 'edit'
  }
  if (roll < 45 && d.own.length > 1) {
    const ref = d.own.splice(gen.int(d.own.length), 1)[0]!
    await client.deletePost(ref)
    return 'delete'
  }
  if (roll < 65) {
    d.comments.push(await client.comment(gen.pick(d.known), `${d.name} says ${i}`))
    return 'comment'
  }
  if (roll < 72 && d.comments.length > 0) {
    await client.editComment(gen.pick(d.comments), `${d.name} rewords ${i}`)
    return 'edit comment'
  }
  if (roll < 85) {
    await client.react(gen.pick(d.known), gen.pick(emojis))
    return 'react'
  }
  const uid = gen.pick(others)
  if (d.follows.has(uid) && gen.chance(0.5)) {
    await client.unfollow(uid)
    d.follows.delete(uid)
    return 'unfollow'
  }
  await client.follow(uid)
  d.follows.add(uid)
  return 'follow'
}

describe('partition in a chain of three relays', () => {
  it('clients write on both sides of a cut link; after healing every client and every relay shows the same', async () => {
    await withSeed(seed, 'mesh.partition.test.ts', async (gen) => {
      const data = [tempDir(), tempDir(), tempDir()]
      const keys = await relayKeys(data)
      const [ka, kb, kc] = keys as [string, string, string]
      const flags = (i: number, name: string) => [
        '--name',
        name,
        ...trustFlags(keys, keys[i]!),
        ...meshTestFlags,
      ]
      const b = await spawnRelay({ data: data[1], args: flags(1, 'b') })
      const proxy = await startTcpProxy(Number(new URL(b.url).port))
      const [a, c] = await Promise.all([
        spawnRelay({ data: data[0], args: [...flags(0, 'a'), '--peer', proxy.url] }),
        spawnRelay({ data: data[2], args: [...flags(2, 'c'), '--peer', b.url] }),
      ])
      await Promise.all([waitPeers(a, [kb]), waitPeers(b, [ka, kc]), waitPeers(c, [kb])])

      const phone = await openClient([a.url])
      const laptop = await openClient([c.url], { identity: phone.identity })
      const bob = await openClient([a.url])
      const carol = await openClient([c.url])
      const alice = phone.identity.userId
      const users = [alice, bob.identity.userId, carol.identity.userId]
      const clients = [phone, bob, laptop, carol]
      const views = clients.map((t) => openViews(t.client, users))

      // Before the partition: profiles, two posts of Alice and a follow, seen everywhere.
      await phone.client.setProfile({ name: 'Alice' })
      await bob.client.setProfile({ name: 'Bob' })
      await carol.client.setProfile({ name: 'Carol' })
      const before = [await phone.client.post('first'), await phone.client.post('second')]
      await carol.client.follow(alice)
      for (const v of views) {
        await until(() => v.posts.get(alice)!.current.posts.length === 2, 'first posts everywhere')
        await until(() => v.followers.get(alice)!.current.length === 1, 'first follow everywhere')
      }
      for (const t of clients)
        await until(() => t.client.syncStatus().current.pending === 0, 'acks')

      // The partition: a is cut off from b (and so from c).
      proxy.cut()
      await Promise.all([
        waitPeers(a, [kb], { connected: false }),
        waitPeers(b, [ka], { connected: false }),
      ])
      const device = (name: string, t: TestClient, own: PostRef[]): Device => ({
        name,
        c: t,
        own: [...own],
        known: [...before],
        comments: [],
        follows: new Set(t === carol ? [alice] : []),
      })
      const devices = [
        device('phone', phone, before),
        device('bob', bob, []),
        device('laptop', laptop, before),
        device('carol', carol, []),
      ]
      // Both of Alice's devices edit the same post, each on its side.
      await phone.client.editPost(before[0]!, 'edited on the phone')
      await laptop.client.editPost(before[0]!, 'edited on the laptop')
      const done: string[] = []
      const total = runs(40, 200)
      for (let i = 0; i < total; i++) {
        const d = gen.pick(devices)
        const others = users.filter((u) => u !== d.c.identity.userId)
        done.push(`${d.name}:${await step(gen, d, others, i)}`)
      }
      for (const t of clients) {
        await until(() => t.client.syncStatus().current.pending === 0, 'acks during the partition')
      }
      // Nothing crossed: each of Alice's devices still shows its own edit of the first post.
      const textOf = (v: Views) =>
        v.posts.get(alice)!.current.posts.find((p) => p.ref.postId === before[0]!.postId)?.text
      const [onPhone, onLaptop] = [textOf(views[0]!), textOf(views[2]!)]
      if (onPhone !== undefined && onLaptop !== undefined) expect(onPhone).not.toBe(onLaptop)

      // Healing.
      const healStart = performance.now()
      proxy.restore()
      await Promise.all([waitPeers(a, [kb], { timeoutMs: 20_000 }), waitPeers(b, [ka, kc])])
      const fresh = await Promise.all([a, b, c].map((r) => openClient([r.url])))
      const freshViews = fresh.map((t) => openViews(t.client, users))
      const allRefs = [
        ...new Map(devices.flatMap((d) => d.known).map((r) => [r.postId, r])).values(),
      ]
      const everyone = [...clients, ...fresh]
      const allViews = [...views, ...freshViews]
      for (const [i, t] of everyone.entries()) openThreads(t.client, allViews[i]!, allRefs)
      for (const [i, v] of allViews.entries()) {
        await untilJsonEqual(
          () => shared(v),
          () => shared(views[0]!),
          `client ${i} agrees with the phone (schedule: ${done.join(' ')})`,
          20_000,
        )
      }
      const healMs = performance.now() - healStart
      // Alice's two devices: same timeline, same threads including her own reactions.
      const tPhone = phone.client.timeline(big)
      const tLaptop = laptop.client.timeline(big)
      await untilJsonEqual(
        () => tLaptop.current,
        () => tPhone.current,
        "Alice's timelines",
      )
      expect(tPhone.current.posts.length).toBeGreaterThan(0)
      expect([...views[2]!.threads.values()].map((q) => q.current)).toEqual(
        [...views[0]!.threads.values()].map((q) => q.current),
      )
      // The concurrent edits (or an edit and a delete) of the same post resolved the same way everywhere.
      expect(new Set([...views, ...freshViews].map(textOf)).size).toBe(1)
      for (const t of everyone) {
        expect(t.client.stats().droppedRecords).toBe(0)
        expect(t.client.syncStatus().current).toMatchObject({ pending: 0, refused: 0 })
      }
      console.info(
        `mesh.partition seed ${seed}: ${total} writes (${done.length}), ${allRefs.length} posts, healed and agreed in ${Math.round(healMs)} ms`,
      )
    })
  })
})
