/**
 * The example app (examples/feed-app) in real browsers against real relays:
 * two users, each a Chromium with its own profile, on two meshed relay
 * processes that serve the app's build (`--app`) and list both relays with
 * `--client-relay`. Alice uses relay 1 directly; Bob's page (HTTP and
 * WebSocket) goes through a TCP proxy in front of relay 2, which the test
 * cuts for real to take him offline.
 *
 * In order, sharing the users: onboarding; Alice copies her profile link,
 * Bob opens it, follows Alice and sees her post, comments on it, Alice sees the comment; Bob offline posts and
 * comments, reloads the page with no server (service worker + IndexedDB),
 * comes back online and Alice sees his writes; Alice moves to relay 2 with
 * the relay picker and both chat in a room: same order on both sides,
 * typing presence. Any console error or warning, or uncaught page error,
 * fails the test it happens in (see browserUser.ts). Elements are found by
 * role and accessible name only, as the UI contract lists them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { meshTestFlags, relayKeys, trustFlags, waitPeers } from '../helpers/mesh.js'
import { killAllRelays, type SpawnedRelay, spawnRelay, tempDir } from '../helpers/spawnRelay.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js'
import { appDist, BrowserUser, freePorts, requireAppBuild } from './browserUser.js'

/** Waits for posts and comments that cross the mesh, in ms. */
const MESH_WAIT_MS = 30_000

let relay1: SpawnedRelay
let relay2: SpawnedRelay
let proxy: TcpProxy | undefined
let alice: BrowserUser | undefined
let bob: BrowserUser | undefined
let aliceId = ''
let bobId = ''
const run = Date.now().toString(36)
const alicePost = `Hello from Alice ${run}`
const bobComment = `Nice one, Alice ${run}`
const bobOfflinePost = `Written offline by Bob ${run}`
const bobOfflineComment = `Offline comment by Bob ${run}`

const users = (): BrowserUser[] => [alice, bob].filter((u) => u !== undefined)

async function startRelays(): Promise<void> {
  const [port1, port2] = (await freePorts(2)) as [number, number]
  const data = [tempDir('feedmesh-browser-relay-'), tempDir('feedmesh-browser-relay-')]
  const [key1, key2] = (await relayKeys(data)) as [string, string]
  const keys = [key1, key2]
  const clientRelays = [port1, port2].flatMap((p) => ['--client-relay', `ws://127.0.0.1:${p}/`])
  const common = ['--app', appDist, ...clientRelays, ...meshTestFlags]
  ;[relay1, relay2] = await Promise.all([
    spawnRelay({
      data: data[0],
      port: port1,
      args: [
        '--name',
        'relay-1',
        ...common,
        ...trustFlags(keys, key1),
        '--peer',
        `ws://127.0.0.1:${port2}`,
      ],
    }),
    spawnRelay({
      data: data[1],
      port: port2,
      args: ['--name', 'relay-2', ...common, ...trustFlags(keys, key2)],
    }),
  ])
  proxy = await startTcpProxy(port2)
  await waitPeers(relay1, [key2])
}

/** Onboards a new user on `url`: the welcome screen, then "Create identity"; returns its id. */
async function onboard(user: BrowserUser, url: string, name: string, bio: string): Promise<string> {
  const { page } = user
  await page.goto(url)
  await page.getByRole('heading', { level: 1, name: 'Welcome to feedmesh' }).waitFor()
  await user.screenshot('onboarding')
  await page.getByLabel('Name', { exact: true }).fill(name)
  await page.getByLabel('Bio', { exact: true }).fill(bio)
  await page.getByRole('button', { name: 'Create identity', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Feed', exact: true }).waitFor()
  expect(page.url()).toMatch(/#\/feed$/)
  await user.nav('Settings')
  await page.getByRole('heading', { level: 1, name: 'Settings', exact: true }).waitFor()
  const id = await page.getByLabel('Your user id', { exact: true }).inputValue()
  expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/)
  return id
}

/** The feed article that contains `text`. */
function article(user: BrowserUser, text: string) {
  return user.page.getByRole('article').filter({ hasText: text })
}

/** Posts `text` from the feed and waits until it shows in the own timeline. */
async function post(user: BrowserUser, text: string): Promise<void> {
  const { page } = user
  await user.nav('Feed')
  await page.getByRole('heading', { level: 1, name: 'Feed', exact: true }).waitFor()
  const box = page.getByLabel("What's happening?", { exact: true })
  const button = page.getByRole('button', { name: 'Post', exact: true })
  expect(await button.isDisabled()).toBe(true)
  await box.fill(text)
  await button.click()
  await article(user, text).waitFor()
}

/** Opens the thread of the feed article containing `text` (its "N comments" link). */
async function openThread(user: BrowserUser, text: string, timeoutMs?: number): Promise<void> {
  const { page } = user
  await user.nav('Feed')
  const link = article(user, text).getByRole('link', { name: /^\d+ comments?$/ })
  await link.waitFor(timeoutMs === undefined ? {} : { timeout: timeoutMs })
  await link.click()
  await page.getByRole('heading', { level: 2, name: 'Comments', exact: true }).waitFor()
  await article(user, text).waitFor()
}

/** Writes a comment in the open thread and waits until it shows. */
async function comment(user: BrowserUser, text: string): Promise<void> {
  const { page } = user
  await page.getByLabel('Write a comment', { exact: true }).fill(text)
  await page.getByRole('button', { name: 'Comment', exact: true }).click()
  await commentItem(user, text).waitFor()
}

/** The comment of the open thread that contains `text`. */
function commentItem(user: BrowserUser, text: string) {
  return user.page
    .getByRole('list', { name: 'Comments', exact: true })
    .getByRole('listitem')
    .filter({ hasText: text })
}

/** Opens a user's profile with "Find a user (id or link)" on the feed, typing `input` (default: the id). */
async function findUser(user: BrowserUser, id: string, name: string, input = id): Promise<void> {
  const { page } = user
  await user.nav('Feed')
  await page.getByLabel('Find a user (id or link)', { exact: true }).fill(input)
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await page.waitForURL(`**/#/u/${id}`)
  await page
    .getByRole('heading', { level: 1, name, exact: true })
    .waitFor({ timeout: MESH_WAIT_MS })
}

beforeAll(async () => {
  requireAppBuild()
  await startRelays()
  ;[alice, bob] = await Promise.all([BrowserUser.launch('alice'), BrowserUser.launch('bob')])
  aliceId = await onboard(alice, `${relay1.httpUrl}/`, 'Alice', 'Posts first')
  bobId = await onboard(bob, `http://127.0.0.1:${proxy!.port}/`, 'Bob', 'Reads a lot')
  await alice.screenshot('settings')
})

afterEach(() => {
  for (const user of users()) expect(user.takeProblems(), `${user.name}'s console`).toEqual([])
})

afterAll(async () => {
  await Promise.all(users().map((u) => u.close()))
  await proxy?.close()
  await killAllRelays()
})

describe('feed app in the browser', () => {
  it('Bob follows Alice across the mesh, sees her post and comments; Alice sees the comment', async () => {
    await post(alice!, alicePost)
    await alice!.waitStatus(/Saved/)
    await alice!.screenshot('feed')

    // Alice shares her profile with "Copy link"; Bob opens the link she sent
    await alice!.nav('Profile')
    await alice!.page.getByRole('button', { name: 'Copy link', exact: true }).click()
    await alice!.page.getByText('Link copied', { exact: true }).waitFor()
    const link = await alice!.page.evaluate(() => navigator.clipboard.readText())
    expect(link).toBe(`${relay1.httpUrl}/#/u/${aliceId}`)
    await findUser(bob!, aliceId, 'Alice', link)
    await bob!.page.getByText(aliceId).first().waitFor()
    await bob!.page.getByRole('button', { name: 'Follow', exact: true }).click()
    await bob!.page.getByRole('button', { name: 'Unfollow', exact: true }).waitFor()
    await bob!.screenshot('profile')

    await openThread(bob!, alicePost, MESH_WAIT_MS)
    await comment(bob!, bobComment)
    await bob!.waitStatus(/Saved/)
    await bob!.screenshot('thread')

    await openThread(alice!, alicePost)
    await commentItem(alice!, bobComment).waitFor({ timeout: MESH_WAIT_MS })
    await expect(commentItem(alice!, bobComment).textContent()).resolves.toContain('Bob')
    await alice!.screenshot('thread')
  })

  it('Bob writes offline, reloads with no server, and his writes reach Alice once he is back', async () => {
    const b = bob!
    // the service worker must hold the app shell before the network goes
    await b.page.waitForFunction(
      async () => (await navigator.serviceWorker.getRegistration())?.active?.state === 'activated',
      undefined,
      { timeout: 15_000 },
    )
    await b.waitStatus(/Online/)
    b.expectNetworkErrors(true)
    proxy!.cut()
    await b.waitStatus(/Offline/)

    await post(b, bobOfflinePost)
    await b.waitStatus(/\d+ pending/)
    await openThread(b, alicePost)
    await comment(b, bobOfflineComment)
    await b.waitStatus(/Offline/)

    // a reload with the relay unreachable: the shell from the service
    // worker, the replica and the outbox from IndexedDB
    await b.page.reload()
    await commentItem(b, bobOfflineComment).waitFor()
    await b.nav('Feed')
    await article(b, bobOfflinePost).waitFor()
    await article(b, alicePost).waitFor()
    await b.waitStatus(/Offline/)
    await b.waitStatus(/\d+ pending/)
    await b.screenshot('offline')

    proxy!.restore()
    await b.waitStatus(/Online/, MESH_WAIT_MS)
    await b.waitStatus(/Saved/, MESH_WAIT_MS)
    b.expectNetworkErrors(false)

    const a = alice!
    await openThread(a, alicePost)
    await commentItem(a, bobOfflineComment).waitFor({ timeout: MESH_WAIT_MS })
    await findUser(a, bobId, 'Bob')
    await a.page.getByText(bobOfflinePost).waitFor({ timeout: MESH_WAIT_MS })
    await a.screenshot('profile')
  })

  it('Alice and Bob chat in a room on one relay: same order on both sides, typing shows', async () => {
    const a = alice!
    const b = bob!
    // the picker lists both relays of /feedmesh.json; Alice joins Bob's relay (presence is per relay)
    await a.nav('Settings')
    const picker = a.page.getByLabel('Relay', { exact: true })
    const options = await picker
      .locator('option')
      .evaluateAll((nodes) => nodes.map((n) => (n as HTMLOptionElement).value))
    const port2 = new URL(relay2.url).port
    const port1 = new URL(relay1.url).port
    expect(options.some((v) => v.includes(`127.0.0.1:${port1}`))).toBe(true)
    const target = options.find((v) => v.includes(`127.0.0.1:${port2}`))
    expect(target, `relay 2 in the picker: ${options.join(', ')}`).toBeDefined()
    await picker.selectOption(target!)
    await a.waitStatus(new RegExp(`127\\.0\\.0\\.1:${port2}`))
    await a.waitStatus(/Online/)
    await a.screenshot('settings-relay-2')

    const room = `e2e-${run}`
    for (const user of [a, b]) {
      await user.nav('Chat')
      await user.page.getByRole('heading', { level: 1, name: '# lobby', exact: true }).waitFor()
      await user.page.getByLabel('Room', { exact: true }).fill(room)
      await user.page.getByRole('button', { name: 'Join', exact: true }).click()
      await user.page.getByRole('heading', { level: 1, name: `# ${room}`, exact: true }).waitFor()
    }

    const messages = [`a1 ${run}`, `b1 ${run}`, `a2 ${run}`, `b2 ${run}`]
    for (const [i, text] of messages.entries()) {
      const user = i % 2 === 0 ? a : b
      const box = user.page.getByLabel('Message', { exact: true })
      await box.fill(text)
      if (i < 2) await user.page.getByRole('button', { name: 'Send', exact: true }).click()
      else await box.press('Enter')
      await messageItems(user).filter({ hasText: text }).waitFor()
    }
    for (const user of [a, b]) {
      await messageItems(user).filter({ hasText: messages[3]! }).waitFor({ timeout: MESH_WAIT_MS })
      await messageItems(user).filter({ hasText: messages[0]! }).waitFor({ timeout: MESH_WAIT_MS })
    }
    const orderOf = async (user: BrowserUser) =>
      (await messageItems(user).allTextContents())
        .map((text) => messages.find((m) => text.includes(m)))
        .filter((m) => m !== undefined)
    const seenByA = await orderOf(a)
    expect([...seenByA].sort()).toEqual([...messages].sort())
    expect(await orderOf(b)).toEqual(seenByA)
    expect((await messageItems(a).filter({ hasText: messages[1]! }).textContent()) ?? '').toContain(
      'Bob',
    )

    await b.page.getByLabel('Message', { exact: true }).fill('typing something')
    await a.page.getByText('Bob is typing…').waitFor()
    await a.page.getByText(/\b2 online\b/).waitFor()
    await a.screenshot('chat')
    await b.screenshot('chat')
  })
})

/** The messages of the open chat room. */
function messageItems(user: BrowserUser) {
  return user.page.getByRole('log', { name: 'Messages' }).getByRole('listitem')
}
