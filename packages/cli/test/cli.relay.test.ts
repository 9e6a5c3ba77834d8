/**
 * The CLI against a REAL relay process (`feedmesh-relay` on 127.0.0.1 port
 * 0): every write waits for the relay's durable ack, and every read from an
 * empty store shows what the relay holds. Users are separate data
 * directories with their own keys; each test makes its own, so the tests run
 * concurrently on one relay.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  killAllRelays,
  type SpawnedRelay,
  spawnRelay,
} from '../../relay/test/helpers/spawnRelay.js'
import {
  type CliResult,
  killAllClis,
  newUser,
  removeTemps,
  startCli,
  type TestUser,
  tempDir,
} from './helpers/runCli.js'

let relay: SpawnedRelay

beforeAll(async () => {
  relay = await spawnRelay()
}, 30_000)

afterAll(async () => {
  await killAllClis()
  await killAllRelays()
  removeTemps()
})

interface PostJson {
  kind: string
  ref: string
  author: string
  text: string
  at: number
  rev: number
  comments: number
  reactions: Record<string, number>
}

async function users(n: number): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => newUser(relay.url)))
}

function json<T>(result: { code: number | null; last: string; stderr: string }): T {
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.last) as T
}

async function ok(result: Promise<CliResult>): Promise<CliResult> {
  const r = await result
  expect(r.code, r.stderr).toBe(0)
  return r
}

describe.concurrent('feedmesh with a relay', { timeout: 60_000 }, () => {
  it('post waits for the ack; another user with an empty store reads it', async () => {
    const [alice, bob] = await users(2)
    const before = Date.now()
    const posted = await ok(alice!.run(['post', 'hello, mesh']))
    expect(posted.stderr).toMatch(/acknowledged by/)
    const ref = posted.last
    expect(ref).toMatch(new RegExp(`^${alice!.uid}/[0-9a-z]{9}[A-Za-z0-9_-]{8}$`))
    const posts = json<PostJson[]>(await bob!.run(['posts', alice!.uid, '--json']))
    expect(posts).toHaveLength(1)
    expect(posts[0]).toMatchObject({
      kind: 'post',
      ref,
      author: alice!.uid,
      text: 'hello, mesh',
      rev: 1,
    })
    expect(posts[0]!.at).toBeGreaterThanOrEqual(before - 1000)
    const text = await ok(bob!.run(['posts', alice!.uid]))
    expect(text.stdout).toContain(ref)
    expect(text.stdout).toContain('  hello, mesh')
  })

  it('edit, comment, react, thread and delete round-trip between two users', async () => {
    const [alice, bob, carol] = await users(3)
    const ref = (await ok(alice!.run(['post', 'first draft']))).last
    await ok(alice!.run(['edit', ref, 'second draft']))
    const seen = json<PostJson[]>(await bob!.run(['thread', ref, '--json']))
    expect(seen[0]).toMatchObject({ ref, text: 'second draft', rev: 2 })
    const notMine = await bob!.run(['edit', ref, 'hijack'])
    expect(notMine.code).toBe(1)
    expect(notMine.stderr).toMatch(/is not your post: only its author can edit it/)
    const commented = await ok(bob!.run(['comment', ref, 'nice one']))
    expect(commented.last).toMatch(new RegExp(`^${ref}/${bob!.uid}/`))
    await ok(bob!.run(['react', ref, '👍']))
    await ok(carol!.run(['react', ref, '👍']))
    const thread = json<Record<string, unknown>[]>(await alice!.run(['thread', ref, '--json']))
    expect(thread).toHaveLength(2)
    expect(thread[0]).toMatchObject({
      kind: 'post',
      ref,
      text: 'second draft',
      rev: 2,
      comments: 1,
      reactions: { '👍': 2 },
    })
    expect(thread[1]).toMatchObject({
      kind: 'comment',
      ref: commented.last,
      post: ref,
      author: bob!.uid,
      text: 'nice one',
      rev: 1,
    })
    expect(typeof thread[1]!.at).toBe('number')
    await ok(alice!.run(['delete', ref]))
    expect(json<PostJson[]>(await carol!.run(['posts', alice!.uid, '--json']))).toEqual([])
    const gone = await bob!.run(['thread', ref])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(/post .* not found: it was deleted/)
  })

  it('comments: edited and deleted by their author, hidden and unhidden by the post author', async () => {
    const [alice, bob, carol] = await users(3)
    const ref = (await ok(alice!.run(['post', 'moderated']))).last
    const first = (await ok(bob!.run(['comment', ref, 'frist']))).last
    const spam = (await ok(bob!.run(['comment', ref, 'buy now']))).last
    const edited = await ok(bob!.run(['edit', first, 'first!', '--json']))
    expect(JSON.parse(edited.last)).toEqual({ ref: first, rev: 2 })
    expect(edited.stderr).toMatch(/^edited .*: acknowledged by/m)
    const comments = async (): Promise<[unknown, unknown, unknown][]> => {
      const thread = json<Record<string, unknown>[]>(await carol!.run(['thread', ref, '--json']))
      expect(thread[0]!.comments).toBe(thread.length - 1)
      return thread.slice(1).map((c) => [c.ref, c.text, c.rev])
    }
    expect(await comments()).toEqual([
      [first, 'first!', 2],
      [spam, 'buy now', 1],
    ])
    const [text, notTheirs, notTheirPost] = await Promise.all([
      ok(carol!.run(['thread', ref])),
      alice!.run(['edit', first, 'rewritten']),
      bob!.run(['hide', spam]),
    ])
    expect(text.stdout).toContain(`  ${first}  `)
    expect(notTheirs.code).toBe(1)
    expect(notTheirs.stderr).toMatch(/is not your comment: only its author can edit it/)
    expect(notTheirPost.code).toBe(1)
    expect(notTheirPost.stderr).toMatch(/is not your post: only its author can hide its comments/)
    await ok(alice!.run(['hide', spam]))
    expect(await comments()).toEqual([[first, 'first!', 2]])
    // from an empty store with the same key: catching up finds the hide to take back
    const aliceElsewhere = ['--data', tempDir(), '--key', path.join(alice!.data, 'key')]
    await ok(alice!.run(['unhide', spam, ...aliceElsewhere]))
    expect((await comments()).map((c) => c[0])).toEqual([first, spam])
    const bobElsewhere = ['--data', tempDir(), '--key', path.join(bob!.data, 'key')]
    const deleted = await ok(bob!.run(['delete', first, '--json', ...bobElsewhere]))
    expect(JSON.parse(deleted.last)).toEqual({ ref: first, deleted: true })
    expect(await comments()).toEqual([[spam, 'buy now', 1]])
    const gone = await bob!.run(['edit', first, 'back again'])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(/comment .* not found: it was deleted/)
  })

  it('unreact takes a reaction back; without one it says there is nothing to take back', async () => {
    const [alice, bob] = await users(2)
    const ref = (await ok(alice!.run(['post', 'react to me']))).last
    await ok(bob!.run(['react', ref, '👍']))
    await ok(bob!.run(['react', ref, '🎉']))
    const taken = await ok(bob!.run(['unreact', ref, '👍', '--json']))
    expect(JSON.parse(taken.last)).toEqual({ ref, emoji: '👍', unreacted: true })
    expect(taken.stderr).toMatch(/took back 👍 .*: acknowledged by/)
    const thread = json<Record<string, unknown>[]>(await alice!.run(['thread', ref, '--json']))
    expect(thread[0]).toMatchObject({ ref, reactions: { '🎉': 1 } })
    const none = await ok(bob!.run(['unreact', ref, '👍', '--json']))
    expect(JSON.parse(none.last)).toEqual({ ref, emoji: '👍', unreacted: false })
    expect(none.stderr).toMatch(/nothing to take back/)
    const missing = await bob!.run(['unreact', `${alice!.uid}/0mww61cowxMabcdEf`, '👍'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/post .* not found/)
  })

  it('follow and unfollow change followers, following and the timeline', async () => {
    const [alice, bob] = await users(2)
    const aliceRef = (await ok(alice!.run(['post', 'from alice']))).last
    const bobRef = (await ok(bob!.run(['post', 'from bob']))).last
    await ok(bob!.run(['follow', alice!.uid]))
    const [followers, following, timeline] = await Promise.all([
      alice!.run(['followers', '--json']),
      bob!.run(['following', '--json']),
      bob!.run(['timeline', '--json']),
    ])
    expect(json(followers)).toEqual([{ userId: bob!.uid }])
    expect(json(following)).toEqual([{ userId: alice!.uid }])
    expect(json<PostJson[]>(timeline).map((p) => p.ref)).toEqual([bobRef, aliceRef])
    await ok(bob!.run(['unfollow', alice!.uid]))
    const [after, timelineAfter] = await Promise.all([
      alice!.run(['followers', alice!.uid, '--json']),
      bob!.run(['timeline', '--json']),
    ])
    expect(json(after)).toEqual([])
    expect(json<PostJson[]>(timelineAfter).map((p) => p.ref)).toEqual([bobRef])
    const self = await bob!.run(['follow', bob!.uid])
    expect(self.code).toBe(2)
    expect(self.stderr).toMatch(/you cannot follow yourself/)
  })

  it('say and room: two users in one room, read by a third with an empty store', async () => {
    const [alice, bob, carol] = await users(3)
    const first = await ok(alice!.run(['say', 'lobby', 'welcome']))
    expect(first.last).toMatch(new RegExp(`^${alice!.uid}/lobby/${alice!.uid}/`))
    await ok(bob!.run(['say', `${alice!.uid}/lobby`, 'thanks']))
    const messages = json<Record<string, unknown>[]>(
      await carol!.run(['room', `${alice!.uid}/lobby`, '--json']),
    )
    expect(messages.map((m) => [m.author, m.text])).toEqual([
      [alice!.uid, 'welcome'],
      [bob!.uid, 'thanks'],
    ])
    expect(messages[0]).toMatchObject({ kind: 'message', ref: first.last, rev: 1 })
    const text = await ok(alice!.run(['room', 'lobby']))
    expect(text.stdout).toMatch(/welcome[\s\S]*thanks/)
  })

  it('profile set and show, keeping fields not given', async () => {
    const [alice, bob] = await users(2)
    await ok(alice!.run(['profile', 'set', '--name', 'Alice', '--bio', 'CRDT fan']))
    await ok(alice!.run(['profile', 'set', '--bio', 'local-first fan']))
    expect(json(await bob!.run(['profile', 'show', alice!.uid, '--json']))).toEqual({
      userId: alice!.uid,
      name: 'Alice',
      bio: 'local-first fan',
      following: 0,
      followers: 0,
    })
  })

  it('the relay refuses a comment by a blocked user: exit 1 with the reason', async () => {
    const [alice, bob] = await users(2)
    const ref = (await ok(alice!.run(['post', 'no trolls']))).last
    await ok(alice!.run(['block', bob!.uid]))
    const refused = await bob!.run(['comment', ref, 'troll'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/the relay refused 1 write\(s\)/)
  })

  it('writes made while the relay is unreachable (--no-wait) reach it with the next command', async () => {
    const [alice, bob] = await users(2)
    const down = 'ws://127.0.0.1:9'
    const offline = await ok(alice!.run(['post', 'written offline', '--no-wait'], { relay: down }))
    expect(offline.stderr).toMatch(/stored in .* only; a later command with a relay sends it/)
    const noRelay = await ok(alice!.run(['post', 'no relay at all', '--no-wait'], { relay: '' }))
    expect(json<PostJson[]>(await bob!.run(['posts', alice!.uid, '--json']))).toEqual([])
    // the next command that reaches the relay sends the outbox: a read ...
    await ok(alice!.run(['timeline']))
    const posts = json<PostJson[]>(await bob!.run(['posts', alice!.uid, '--json']))
    expect(posts.map((p) => p.ref).sort()).toEqual([offline.last, noRelay.last].sort())
    // ... or sync, which reports what it sent
    await ok(alice!.run(['follow', bob!.uid, '--no-wait'], { relay: '' }))
    const synced = await ok(alice!.run(['sync', '--json']))
    expect(JSON.parse(synced.last)).toEqual({ sent: 2 })
    expect(json(await bob!.run(['followers', '--json']))).toEqual([{ userId: alice!.uid }])
  })

  it('watch prints a post by a followed user as it arrives, then exits on SIGTERM', async () => {
    const [alice, bob] = await users(2)
    const old = (await ok(alice!.run(['post', 'before watching']))).last
    await ok(bob!.run(['follow', alice!.uid]))
    const watch = startCli(['watch', '--json', '--data', bob!.data, '--relay', relay.url])
    await watch.waitForStderr(/watching the timeline/)
    expect(watch.stdout()).toContain(old)
    const ref = (await ok(alice!.run(['post', 'live!']))).last
    await watch.waitForStdout(new RegExp(ref))
    watch.child.kill('SIGTERM')
    const ended = await watch.done
    expect(ended.code).toBe(0)
    const lines = ended.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as PostJson)
    expect(lines.map((p) => [p.ref, p.text])).toEqual([
      [old, 'before watching'],
      [ref, 'live!'],
    ])
  })
})
