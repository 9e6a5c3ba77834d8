import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { FeedClient } from '../src/client/FeedClient.js'
import { newId, timeOfId } from '../src/client/ids.js'
import { reactionCounts } from '../src/client/readers.js'
import { formatRef, parseRef } from '../src/client/refs.js'
import {
  followersDocId,
  monthOf,
  postsDocId,
  roomDocId,
  threadDocId,
  userDocId,
} from '../src/docIds.js'
import { Identity } from '../src/Identity.js'
import { RecordVerifier, type SignedRecord, signRecord } from '../src/records.js'
import { IndexedDbStorage } from '../src/storage/IndexedDbStorage.js'
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import { clock, GatedStorage, injectForged, injectWrite } from './helpers/clientFixtures.js'

const jan = Date.UTC(2026, 0, 10)
const feb = Date.UTC(2026, 1, 10)
const mar = Date.UTC(2026, 2, 10)

const clients: FeedClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

async function open(
  identity: Identity,
  storage: MemoryStorage | GatedStorage | IndexedDbStorage,
  now: () => number = () => jan,
): Promise<FeedClient> {
  const client = await FeedClient.open({ identity, storage, now, verifier: new RecordVerifier() })
  clients.push(client)
  return client
}

describe('refs and ids', () => {
  it('formats and parses post refs; refuses garbage with bad-ref', () => {
    const uid = Identity.generate().userId
    const ref = { author: uid, postId: newId(jan) }
    expect(parseRef(formatRef(ref))).toEqual(ref)
    expect(() => parseRef('nope')).toThrow(expect.objectContaining({ code: 'bad-ref' }))
    expect(() => parseRef(`${uid}/a/b`)).toThrow(expect.objectContaining({ code: 'bad-ref' }))
  })

  it('ids sort by time and carry it', () => {
    const a = newId(jan)
    const b = newId(feb)
    expect(a < b).toBe(true)
    expect(timeOfId(a)).toBe(jan)
    expect(timeOfId('xyz')).toBeUndefined()
  })
})

describe('FeedClient writes and queries', () => {
  it('profile: set, edit, follower and following counts', async () => {
    const storage = new MemoryStorage()
    const alice = await open(Identity.generate(), storage)
    const bob = Identity.generate()
    const profile = alice.profile(alice.userId)
    await profile.ready
    expect(profile.current).toEqual({ userId: alice.userId, following: 0, followers: 0 })
    await alice.setProfile({ name: 'Alice', bio: 'hi' })
    expect(profile.current).toMatchObject({ name: 'Alice', bio: 'hi' })
    await alice.setProfile({ name: 'Alicia' })
    expect(profile.current.name).toBe('Alicia')
    expect(profile.current.bio).toBeUndefined()
    await alice.follow(bob.userId)
    expect(profile.current.following).toBe(1)
    await expect(alice.setProfile({ name: 'x'.repeat(81) })).rejects.toMatchObject({
      code: 'bad-argument',
    })
    await expect(alice.follow(alice.userId)).rejects.toMatchObject({ code: 'bad-argument' })
    profile.close()
  })

  it('posts: post, reply, edit, delete; only own posts can change', async () => {
    const t = clock(jan)
    const storage = new MemoryStorage()
    const alice = await open(Identity.generate(), storage, t.now)
    const posts = alice.posts(alice.userId)
    await posts.ready
    const first = await alice.post('hello')
    t.set(jan + 1000)
    const reply = await alice.post('again', { replyTo: first })
    expect(posts.current.posts.map((p) => p.text)).toEqual(['again', 'hello'])
    expect(posts.current.posts[0]!.replyTo).toEqual(first)
    t.set(jan + 5000)
    await alice.editPost(first, 'hello, edited')
    const edited = posts.current.posts[1]!
    expect(edited).toMatchObject({ text: 'hello, edited', rev: 2, at: jan, editedAt: jan + 5000 })
    await alice.deletePost(reply)
    expect(posts.current.posts.map((p) => p.text)).toEqual(['hello, edited'])
    await alice.deletePost(reply) // already gone: no-op
    await expect(alice.editPost(reply, 'zombie')).rejects.toMatchObject({ code: 'bad-argument' })
    const bob = Identity.generate()
    await expect(
      alice.editPost({ author: bob.userId, postId: first.postId }, 'x'),
    ).rejects.toMatchObject({ code: 'bad-argument' })
    // Deleting writes a tombstone version in the bucket, not a Yjs-only deletion.
    const stored = await storage.load(postsDocId(alice.userId, monthOf(jan)))
    expect(stored.updates.length).toBeGreaterThanOrEqual(4)
  })

  it('deleting or editing a post or comment this device does not have throws bad-argument', async () => {
    const storage = new MemoryStorage()
    const alice = await open(Identity.generate(), storage)
    const mine = await alice.post('mine')
    const unknown = { author: alice.userId, postId: newId(jan + 1) }
    const otherMonth = { author: alice.userId, postId: newId(feb) }
    const outbox = (await storage.outbox()).length
    for (const ref of [unknown, otherMonth]) {
      await expect(alice.deletePost(ref)).rejects.toMatchObject({
        code: 'bad-argument',
        message: expect.stringContaining(`unknown post ${ref.postId}`),
      })
      await expect(alice.editPost(ref, 'x')).rejects.toMatchObject({
        code: 'bad-argument',
        message: expect.stringContaining(`unknown post ${ref.postId}`),
      })
    }
    const comment = { post: mine, author: alice.userId, commentId: newId(jan + 2) }
    await expect(alice.deleteComment(comment)).rejects.toMatchObject({
      code: 'bad-argument',
      message: expect.stringContaining(`unknown comment ${comment.commentId}`),
    })
    await expect(alice.editComment(comment, 'x')).rejects.toMatchObject({
      code: 'bad-argument',
    })
    expect((await storage.outbox()).length).toBe(outbox) // nothing was written
    // A deleted post is known: deleting it again is a no-op, editing it is refused.
    await alice.deletePost(mine)
    const afterDelete = (await storage.outbox()).length
    await alice.deletePost(mine)
    expect((await storage.outbox()).length).toBe(afterDelete)
    await expect(alice.editPost(mine, 'zombie')).rejects.toMatchObject({
      code: 'bad-argument',
      message: expect.stringContaining(`deleted post ${mine.postId}`),
    })
  })

  it('reaction counts list emojis in one sorted order, whatever order they arrive in', () => {
    const people = [Identity.generate(), Identity.generate(), Identity.generate()]
    const doc = threadDocId(people[0]!.userId, newId(jan))
    const reaction = (who: Identity, emoji: string, clock: number): SignedRecord<'reaction'> =>
      signRecord(who, {
        doc,
        author: who.userId,
        type: 'reaction',
        id: `r${clock}`,
        rev: 1,
        at: jan,
        yid: [1, clock],
        body: { emoji },
      }) as SignedRecord<'reaction'>
    const all = [
      reaction(people[0]!, '👍', 0),
      reaction(people[1]!, '❤️', 1),
      reaction(people[2]!, 'ok', 2),
      reaction(people[1]!, '👍', 3),
      reaction(people[2]!, '__proto__', 4),
    ]
    const forward = reactionCounts(all)
    const backward = reactionCounts([...all].reverse())
    expect(JSON.stringify(forward)).toBe(JSON.stringify(backward))
    expect(Object.keys(forward)).toEqual(['__proto__', 'ok', '❤️', '👍'])
    expect(Object.values(forward)).toEqual([1, 1, 1, 2])
  })

  it('thread: comments (oldest first), edits, deletes, reactions and counts in PostView', async () => {
    const t = clock(jan)
    const storage = new MemoryStorage()
    const alice = await open(Identity.generate(), storage, t.now)
    const ref = await alice.post('a post')
    const thread = alice.thread(ref)
    const timeline = alice.timeline()
    await Promise.all([thread.ready, timeline.ready])
    expect(thread.current.post?.text).toBe('a post')
    t.set(jan + 10)
    const c1 = await alice.comment(ref, 'first')
    t.set(jan + 20)
    const c2 = await alice.comment(ref, 'second')
    await alice.react(ref, '👍')
    await alice.react(ref, '🎉')
    expect(thread.current.comments.map((c) => c.text)).toEqual(['first', 'second'])
    expect(thread.current.reactions).toEqual({ '👍': 1, '🎉': 1 })
    expect(thread.current.myReactions.sort()).toEqual(['🎉', '👍'].sort())
    expect(timeline.current.posts[0]).toMatchObject({
      comments: 2,
      reactions: { '👍': 1, '🎉': 1 },
    })
    await alice.editComment(c1, 'first!')
    expect(thread.current.comments[0]).toMatchObject({ text: 'first!', rev: 2, ref: c1 })
    await alice.deleteComment(c2)
    await alice.unreact(ref, '🎉')
    expect(thread.current.comments.map((c) => c.text)).toEqual(['first!'])
    expect(thread.current.reactions).toEqual({ '👍': 1 })
    expect(timeline.current.posts[0]).toMatchObject({ comments: 1, reactions: { '👍': 1 } })
    const bob = Identity.generate()
    await expect(alice.editComment({ ...c1, author: bob.userId }, 'x')).rejects.toMatchObject({
      code: 'bad-argument',
    })
  })

  it('follow, unfollow, followers, following, friends and the timeline document set', async () => {
    const t = clock(jan)
    const storage = new MemoryStorage()
    const aliceId = Identity.generate()
    const bobId = Identity.generate()
    const carolId = Identity.generate()
    // Bob and Carol write first, on the same storage (as if synced earlier).
    const bob = await open(bobId, storage, t.now)
    t.set(jan + 1)
    await bob.post('bob says')
    await bob.follow(aliceId.userId)
    await bob.close()
    const alice = await open(aliceId, storage, t.now)
    const timeline = alice.timeline()
    const following = alice.following(alice.userId)
    const followers = alice.followers(alice.userId)
    const friends = alice.friends(alice.userId)
    await Promise.all([timeline.ready, following.ready, followers.ready, friends.ready])
    expect(timeline.current.posts).toEqual([])
    expect(followers.current).toEqual([bobId.userId])
    expect(friends.current).toEqual([])
    const before = timeline.current
    await alice.follow(bobId.userId)
    await alice.follow(carolId.userId)
    await timeline.ready
    await new Promise((r) => setTimeout(r, 10))
    expect(timeline.current).not.toBe(before)
    expect(timeline.current.posts.map((p) => p.text)).toEqual(['bob says'])
    expect(following.current).toEqual([bobId.userId, carolId.userId].sort())
    expect(friends.current).toEqual([bobId.userId])
    // f/<bob> got Alice's edge.
    const bobFollowers = alice.followers(bobId.userId)
    await bobFollowers.ready
    expect(bobFollowers.current).toEqual([aliceId.userId])
    await alice.unfollow(bobId.userId)
    expect(timeline.current.posts).toEqual([])
    expect(following.current).toEqual([carolId.userId])
    expect(friends.current).toEqual([])
    expect(bobFollowers.current).toEqual([])
    for (const q of [timeline, following, followers, friends, bobFollowers]) q.close()
    await alice.settled()
    expect(alice.stats().openDocs).toBe(0)
  })

  it('current keeps its identity when nothing it shows changed', async () => {
    const storage = new MemoryStorage()
    const alice = await open(Identity.generate(), storage)
    const ref = await alice.post('x')
    const thread = alice.thread(ref)
    await thread.ready
    const value = thread.current
    let calls = 0
    thread.subscribe(() => calls++)
    await alice.setProfile({ name: 'A' }) // u/<alice> is read by the thread (blocks) but nothing shown changes
    await alice.block(Identity.generate().userId)
    expect(thread.current).toBe(value)
    expect(calls).toBe(0)
    await alice.comment(ref, 'c')
    expect(thread.current).not.toBe(value)
    expect(calls).toBe(1)
  })

  it('rooms: say, order, hide and unhide; only the owner moderates', async () => {
    const t = clock(jan)
    const storage = new MemoryStorage()
    const ownerId = Identity.generate()
    const guestId = Identity.generate()
    const room = { owner: ownerId.userId, room: 'lobby' }
    const guest = await open(guestId, storage, t.now)
    t.set(jan + 5)
    const spam = await guest.say(room, 'spam')
    await guest.close()
    const owner = await open(ownerId, storage, t.now)
    const view = owner.room(room)
    await view.ready
    t.set(jan + 10)
    await owner.say(room, 'welcome')
    expect(view.current.messages.map((m) => m.text)).toEqual(['spam', 'welcome'])
    const docId = roomDocId(room.owner, room.room)
    await owner.hide(docId, { author: guestId.userId, id: spam })
    expect(view.current.messages.map((m) => m.text)).toEqual(['welcome'])
    await owner.unhide(docId, { author: guestId.userId, id: spam })
    expect(view.current.messages.map((m) => m.text)).toEqual(['spam', 'welcome'])
    await expect(
      owner.hide(roomDocId(guestId.userId, 'x'), { author: guestId.userId, id: spam }),
    ).rejects.toMatchObject({ code: 'bad-argument' })
  })
})

describe('paging across month buckets', () => {
  it('opens the newest buckets first and only as many as the page needs', async () => {
    const t = clock(jan)
    const storage = new MemoryStorage()
    const aliceId = Identity.generate()
    const bobId = Identity.generate()
    const bob = await open(bobId, storage, t.now)
    for (const [at, text] of [
      [jan, 'bob jan'],
      [mar + 5, 'bob mar'],
    ] as const) {
      t.set(at)
      await bob.post(text)
    }
    await bob.close()
    const alice = await open(aliceId, storage, t.now)
    for (const [at, text] of [
      [jan + 1, 'alice jan'],
      [feb, 'alice feb 1'],
      [feb + 1, 'alice feb 2'],
      [mar, 'alice mar'],
    ] as const) {
      t.set(at)
      await alice.post(text)
    }
    await alice.follow(bobId.userId)
    const timeline = alice.timeline({ pageSize: 2 })
    await timeline.ready
    expect(timeline.current.posts.map((p) => p.text)).toEqual(['bob mar', 'alice mar'])
    expect(timeline.current.hasMore).toBe(true)
    // u/alice, u/bob, p/alice/03, p/bob/03, and the two threads: no older bucket.
    expect(alice.stats().openDocs).toBe(6)
    await timeline.loadMore()
    expect(timeline.current.posts.map((p) => p.text)).toEqual([
      'bob mar',
      'alice mar',
      'alice feb 2',
      'alice feb 1',
    ])
    expect(timeline.current.hasMore).toBe(true)
    await timeline.loadMore()
    expect(timeline.current.posts.map((p) => p.text)).toEqual([
      'bob mar',
      'alice mar',
      'alice feb 2',
      'alice feb 1',
      'alice jan',
      'bob jan',
    ])
    expect(timeline.current.hasMore).toBe(false)
    const bobs = alice.posts(bobId.userId, { pageSize: 1 })
    await bobs.ready
    expect(bobs.current).toMatchObject({ posts: [{ text: 'bob mar' }], hasMore: true })
    await bobs.loadMore()
    expect(bobs.current.posts.map((p) => p.text)).toEqual(['bob mar', 'bob jan'])
    expect(bobs.current.hasMore).toBe(false)
    timeline.close()
    bobs.close()
    await alice.settled()
    expect(alice.stats().openDocs).toBe(0)
  })
})

describe('read-your-writes', () => {
  it('a write shows in open queries before it is durable, and resolves only once durable', async () => {
    const storage = new GatedStorage()
    const t = clock(jan)
    const alice = await open(Identity.generate(), storage, t.now)
    const timeline = alice.timeline()
    await timeline.ready
    const ref0 = await alice.post('seed') // opens the bucket
    const thread = alice.thread(ref0)
    await thread.ready
    t.set(jan + 1)
    storage.hold()
    let resolved = false
    const writing = alice.post('now').then((r) => {
      resolved = true
      return r
    })
    const commenting = alice.comment(ref0, 'c')
    try {
      await new Promise((r) => setTimeout(r, 5))
      expect(timeline.current.posts.map((p) => p.text)).toEqual(['now', 'seed'])
      expect(thread.current.comments.map((c) => c.text)).toEqual(['c'])
      expect(resolved).toBe(false)
    } finally {
      storage.release()
    }
    await writing
    await commenting
    expect(resolved).toBe(true)
  })
})

describe('persistence', () => {
  it('survives a restart on the same MemoryStorage, with compaction', async () => {
    const storage = new MemoryStorage()
    const id = Identity.generate()
    const bob = Identity.generate()
    const t = clock(jan)
    const first = await FeedClient.open({ identity: id, storage, now: t.now, compactAfter: 5 })
    const refs = []
    for (let i = 0; i < 12; i++) {
      t.set(jan + i)
      refs.push(await first.post(`p${i}`))
    }
    await first.setProfile({ name: 'Me' })
    await first.follow(bob.userId)
    await first.comment(refs[0]!, 'mine')
    await first.close()
    expect(first.stats().compactions).toBeGreaterThan(0)
    const log = await storage.load(postsDocId(id.userId, monthOf(jan)))
    expect(log.updates.length).toBeLessThan(12)
    const second = await open(id, storage, t.now)
    const timeline = second.timeline({ pageSize: 50 })
    const profile = second.profile(id.userId)
    const thread = second.thread(refs[0]!)
    await Promise.all([timeline.ready, profile.ready, thread.ready])
    expect(timeline.current.posts).toHaveLength(12)
    expect(timeline.current.posts[0]!.text).toBe('p11')
    expect(profile.current).toMatchObject({ name: 'Me', following: 1 })
    expect(thread.current.comments.map((c) => c.text)).toEqual(['mine'])
    expect(second.stats().droppedRecords).toBe(0)
  })

  it('survives a restart on IndexedDbStorage (fake-indexeddb)', async () => {
    const name = `client-${Math.random()}`
    const id = Identity.generate()
    const storage1 = await IndexedDbStorage.open(name)
    const first = await FeedClient.open({ identity: id, storage: storage1, now: () => feb })
    const ref = await first.post('persisted')
    await first.react(ref, '👍')
    await first.close()
    await storage1.close()
    const storage2 = await IndexedDbStorage.open(name)
    const second = await open(id, storage2, () => feb)
    const thread = second.thread(ref)
    await thread.ready
    expect(thread.current.post?.text).toBe('persisted')
    expect(thread.current.reactions).toEqual({ '👍': 1 })
    await second.close()
    await storage2.close()
  })
})

describe('invalid records, blocks and mods', () => {
  it('drops and counts a bad signature, a record for another doc and a foreign post in my bucket', async () => {
    const storage = new MemoryStorage()
    const me = Identity.generate()
    const mallory = Identity.generate()
    const bucket = postsDocId(me.userId, monthOf(jan))
    const good = { type: 'post', id: newId(jan), body: { text: 'real' } } as const
    await injectWrite(storage, bucket, me, [good], jan)
    await injectWrite(
      storage,
      userDocId(me.userId),
      me,
      [{ type: 'bucket', id: monthOf(jan), body: {} }],
      jan,
    )
    const forgedId = newId(jan + 1)
    await injectForged(
      storage,
      bucket,
      me,
      { type: 'post', id: forgedId, body: { text: 'signed' } },
      { text: 'forged' },
      jan + 1,
    )
    await injectWrite(
      storage,
      bucket,
      me,
      [{ type: 'post', id: newId(jan + 2), body: { text: 'elsewhere' } }],
      jan + 2,
      postsDocId(me.userId, monthOf(feb)),
    )
    await injectWrite(
      storage,
      bucket,
      mallory,
      [{ type: 'post', id: newId(jan + 3), body: { text: 'intruder' } }],
      jan + 3,
    )
    const client = await open(me, storage)
    const posts = client.posts(me.userId)
    await posts.ready
    expect(posts.current.posts.map((p) => p.text)).toEqual(['real'])
    const stats = client.stats()
    expect(stats.droppedRecords).toBe(3)
    expect(stats.dropped).toMatchObject({ signature: 1, doc: 1, permission: 1 })
    // Reading again does not count them again.
    posts.close()
    const again = client.posts(me.userId)
    await again.ready
    expect(client.stats().droppedRecords).toBe(3)
  })

  it('hides records by users the owner blocked in threads and follower sets', async () => {
    const t = clock(jan)
    const storage = new MemoryStorage()
    const ownerId = Identity.generate()
    const trollId = Identity.generate()
    const owner0 = await open(ownerId, storage, t.now)
    const ref = await owner0.post('my post')
    await owner0.close()
    const troll = await open(trollId, storage, t.now)
    t.set(jan + 1)
    await troll.comment(ref, 'troll comment')
    await troll.follow(ownerId.userId)
    await troll.close()
    const owner = await open(ownerId, storage, t.now)
    const thread = owner.thread(ref)
    const followers = owner.followers(ownerId.userId)
    await Promise.all([thread.ready, followers.ready])
    expect(thread.current.comments.map((c) => c.text)).toEqual(['troll comment'])
    expect(followers.current).toEqual([trollId.userId])
    await owner.block(trollId.userId)
    expect(thread.current.comments).toEqual([])
    expect(followers.current).toEqual([])
    await owner.unblock(trollId.userId)
    expect(thread.current.comments.map((c) => c.text)).toEqual(['troll comment'])
    expect(owner.stats().droppedRecords).toBe(0)
  })

  it("mod records of the owner hide a comment and a follower edge; others' mods do nothing", async () => {
    const t = clock(jan)
    const storage = new MemoryStorage()
    const ownerId = Identity.generate()
    const guestId = Identity.generate()
    const owner0 = await open(ownerId, storage, t.now)
    const ref = await owner0.post('post')
    await owner0.close()
    const guest = await open(guestId, storage, t.now)
    const c = await guest.comment(ref, 'hello')
    await guest.follow(ownerId.userId)
    await guest.close()
    // A mod by someone else than the owner is invalid (dropped, counted).
    await injectWrite(
      storage,
      threadDocId(ownerId.userId, ref.postId),
      guestId,
      [
        {
          type: 'mod',
          id: 'x',
          body: { action: 'hide', target: { author: guestId.userId, id: c.commentId } },
        },
      ],
      jan,
    )
    const owner = await open(ownerId, storage, t.now)
    const thread = owner.thread(ref)
    const profile = owner.profile(ownerId.userId)
    await Promise.all([thread.ready, profile.ready])
    expect(thread.current.comments).toHaveLength(1)
    expect(owner.stats().dropped.permission).toBe(1)
    const tdoc = threadDocId(ownerId.userId, ref.postId)
    await owner.hide(tdoc, { author: guestId.userId, id: c.commentId })
    expect(thread.current.comments).toEqual([])
    expect(thread.current.post?.comments).toBe(0)
    expect(profile.current.followers).toBe(1)
    await owner.hide(followersDocId(ownerId.userId), { author: guestId.userId, id: 'edge' })
    expect(profile.current.followers).toBe(0)
  })
})
