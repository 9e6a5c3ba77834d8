/**
 * A Vite plugin that emits `sw.js`, the service worker that keeps the feed
 * app loading with no server. At the end of a production build it takes
 * the names of every built file (scripts, styles, images, `index.html`),
 * derives a version from their contents, and writes a worker with both
 * baked in (see {@link serviceWorkerSource} for what the worker does).
 * Nothing is emitted by the dev server: the app registers the worker only
 * in production builds.
 */
import type { Plugin } from 'vite'

/** The file name of the emitted worker, at the root of the build. */
export const SERVICE_WORKER_FILE = 'sw.js'

/** Paths the worker never answers: live relay endpoints and configuration. */
export const NEVER_CACHED = ['/healthz', '/metrics', '/feedmesh.json'] as const

/** Path prefixes the worker never answers (the y-websocket endpoint). */
export const NEVER_CACHED_PREFIXES = ['/y/'] as const

/** How long a navigation waits for the network before the cached shell answers, ms. */
export const NAVIGATION_TIMEOUT_MS = 3000

/** 32-bit FNV-1a over a sequence of chunks, as 8 hex digits. */
function fnv1a(chunks: Iterable<string | Uint8Array>): string {
  let hash = 0x811c9dc5
  const encoder = new TextEncoder()
  for (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk
    for (const byte of bytes) {
      hash ^= byte
      hash = Math.imul(hash, 0x01000193) >>> 0
    }
  }
  return hash.toString(16).padStart(8, '0')
}

/**
 * The source of the worker:
 * - install: precaches `urls` (the app shell: `/`, `index.html` and every
 *   built file) in a cache named after `version`, then activates at once;
 * - activate: deletes the caches of other versions and claims the open
 *   pages, so the first load is already served by the worker;
 * - fetch: navigations go to the network first and fall back to the cached
 *   `index.html` after {@link NAVIGATION_TIMEOUT_MS} or on failure; other
 *   same-origin GETs are answered from the cache first, else the network.
 *   {@link NEVER_CACHED} paths, `/y/...`, other origins and non-GET requests
 *   are left to the browser (WebSockets never reach a worker).
 */
export function serviceWorkerSource(version: string, base: string, urls: string[]): string {
  const json = (value: unknown) => JSON.stringify(value)
  return `/* feedmesh feed app service worker, generated at build time. */
'use strict'
const CACHE_PREFIX = 'feedmesh-app-'
const CACHE = CACHE_PREFIX + ${json(version)}
const INDEX = ${json(`${base}index.html`)}
const PRECACHE = ${json(urls)}
const NEVER = ${json(NEVER_CACHED.map((p) => `${base}${p.slice(1)}`))}
const NEVER_PREFIXES = ${json(NEVER_CACHED_PREFIXES.map((p) => `${base}${p.slice(1)}`))}
const NAVIGATION_TIMEOUT_MS = ${NAVIGATION_TIMEOUT_MS}

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((key) => key.startsWith(CACHE_PREFIX) && key !== CACHE)
            .map((key) => caches.delete(key)),
        ),
      )
      .then(() => self.clients.claim()),
  )
})

function passThrough(request, url) {
  if (request.method !== 'GET') return true
  if (url.origin !== self.location.origin) return true
  if (NEVER.includes(url.pathname)) return true
  return NEVER_PREFIXES.some((prefix) => url.pathname.startsWith(prefix))
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

async function cachedShell() {
  const cache = await caches.open(CACHE)
  return (await cache.match(INDEX)) || (await cache.match(PRECACHE[0]))
}

async function navigate(request) {
  try {
    const response = await withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS)
    if (response.ok) return response
    return (await cachedShell()) || response
  } catch (error) {
    const shell = await cachedShell()
    if (shell) return shell
    throw error
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE)
  const hit = await cache.match(request)
  return hit || fetch(request)
}

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (passThrough(request, url)) return
  event.respondWith(request.mode === 'navigate' ? navigate(request) : cacheFirst(request))
})
`
}

/** The plugin (see the module comment). */
export function serviceWorkerPlugin(): Plugin {
  let base = '/'
  return {
    name: 'feedmesh:service-worker',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      base = config.base.endsWith('/') ? config.base : `${config.base}/`
    },
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((name) => !name.endsWith('.map') && name !== SERVICE_WORKER_FILE)
        .sort()
      const contents = files.flatMap((name) => {
        const item = bundle[name]
        if (item === undefined) return [name]
        return [name, item.type === 'chunk' ? item.code : item.source]
      })
      const version = fnv1a(contents)
      const urls = [
        ...new Set([base, `${base}index.html`, ...files.map((name) => `${base}${name}`)]),
      ]
      this.emitFile({
        type: 'asset',
        fileName: SERVICE_WORKER_FILE,
        source: serviceWorkerSource(version, base, urls),
      })
    },
  }
}
