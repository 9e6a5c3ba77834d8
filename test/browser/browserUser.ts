/**
 * Browser users for the example app's tests: each user is Debian's Chromium
 * (`/usr/bin/chromium`, headless, driven by playwright-core) with its own
 * temporary profile directory, so users share no storage (IndexedDB,
 * localStorage, service workers), like two people on two machines.
 *
 * Every console message of type error or warning and every uncaught page
 * error is recorded as a problem; a test takes them with
 * {@link BrowserUser.takeProblems} and fails on any. The only messages let
 * through are Chromium's own network reports while a test has cut that
 * user's connection on purpose ({@link BrowserUser.expectNetworkErrors}):
 * "WebSocket connection to '...' failed" and "Failed to load resource:
 * net::ERR_..." (Chromium prints them for every refused reconnect; the app
 * cannot silence them). Screenshots go to `test-artifacts/` at the
 * repository root.
 */
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'

const here = path.dirname(fileURLToPath(import.meta.url))
/** The repository root. */
export const repoRoot = path.resolve(here, '../..')
/** The example app's build, served by the relays with `--app`. */
export const appDist = path.join(repoRoot, 'examples/feed-app/dist')
/** Where screenshots go (git-ignored). */
export const artifactsDir = path.join(repoRoot, 'test-artifacts')
/** Debian's Chromium (installed by `.ci/run` when missing; never downloaded). */
export const chromiumPath = '/usr/bin/chromium'

/** Chromium flags for headless runs on this kind of machine (see TOOLCHAIN.md). */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** How long a locator wait lasts by default, in ms. */
export const DEFAULT_WAIT_MS = 15_000

/** Throws a clear error unless the app is built. */
export function requireAppBuild(): void {
  if (!fs.existsSync(path.join(appDist, 'index.html'))) {
    throw new Error(
      `${appDist}/index.html is missing: build the app first (pnpm build, or pnpm -F @feedmesh/feed-app build)`,
    )
  }
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`)
  }
}

/** Chromium's own report of a failed connection (expected only while a test cut it). */
const networkError = /^(WebSocket connection to '.*' failed|Failed to load resource: net::ERR_)/

/** One user: a Chromium with its own profile, and its first page. */
export class BrowserUser {
  /** The user's name (also the prefix of its screenshots). */
  readonly name: string
  /** The browser context (one Chromium process, one profile). */
  readonly context: BrowserContext
  /** The page the test drives. */
  readonly page: Page
  readonly #profileDir: string
  #problems: string[] = []
  #networkDown = false
  #closed = false

  private constructor(name: string, context: BrowserContext, page: Page, profileDir: string) {
    this.name = name
    this.context = context
    this.page = page
    this.#profileDir = profileDir
    context.on('console', (message) => {
      const type = message.type()
      if (type !== 'error' && type !== 'warning') return
      const text = message.text()
      if (this.#networkDown && networkError.test(text)) return
      const where = message.location()
      this.#problems.push(`console.${type}: ${text} (${where.url}:${where.lineNumber})`)
    })
    context.on('weberror', (error) => {
      const e = error.error()
      this.#problems.push(`pageerror: ${e.message}\n${e.stack ?? ''}`)
    })
  }

  /** Launches a Chromium with a fresh temporary profile for `name`. */
  static async launch(name: string): Promise<BrowserUser> {
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), `feedmesh-browser-${name}-`))
    try {
      const context = await chromium.launchPersistentContext(profileDir, {
        executablePath: chromiumPath,
        headless: true,
        args: chromiumArgs,
        viewport: { width: 1000, height: 800 },
        timeout: 30_000,
      })
      // "Copy link" writes the clipboard and the test reads it back
      await context.grantPermissions(['clipboard-read', 'clipboard-write'])
      const page = context.pages()[0] ?? (await context.newPage())
      page.setDefaultTimeout(DEFAULT_WAIT_MS)
      page.setDefaultNavigationTimeout(DEFAULT_WAIT_MS)
      return new BrowserUser(name, context, page, profileDir)
    } catch (error) {
      fs.rmSync(profileDir, { recursive: true, force: true })
      throw error
    }
  }

  /** Lets Chromium's network error reports through while the test keeps this user cut off. */
  expectNetworkErrors(on: boolean): void {
    this.#networkDown = on
  }

  /** The problems recorded since the last call (console errors/warnings, page errors). */
  takeProblems(): string[] {
    const problems = this.#problems
    this.#problems = []
    return problems
  }

  /** Writes a full-page screenshot of the current screen to `test-artifacts/<user>-<screen>.png`. */
  async screenshot(screen: string): Promise<void> {
    fs.mkdirSync(artifactsDir, { recursive: true })
    await this.page.screenshot({
      path: path.join(artifactsDir, `${this.name}-${screen}.png`),
      fullPage: true,
    })
  }

  /** The shell's sync status region. */
  status(): Locator {
    return this.page.getByRole('status', { name: 'Sync status' })
  }

  /** Waits (bounded) until the sync status text matches `pattern`. */
  async waitStatus(pattern: RegExp, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    try {
      await this.status().filter({ hasText: pattern }).waitFor({ timeout: timeoutMs })
    } catch (error) {
      const now = await this.status()
        .textContent({ timeout: 1000 })
        .catch(() => '(no status region)')
      throw new Error(`${this.name}: status never matched ${pattern}; it shows "${now}"`, {
        cause: error,
      })
    }
  }

  /** Clicks the link `name` of the main navigation. */
  async nav(name: 'Feed' | 'Chat' | 'Profile' | 'Settings'): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name, exact: true })
      .click()
  }

  /** Closes the browser and removes its profile. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.context.close().catch(() => undefined)
    fs.rmSync(this.#profileDir, { recursive: true, force: true })
  }
}

/** `count` free TCP ports on 127.0.0.1 (listened on, then released), for relays that must know each other's URL before they start. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer()
          server.once('error', reject)
          server.listen(0, '127.0.0.1', () => resolve(server))
        }),
    ),
  )
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  return ports
}
