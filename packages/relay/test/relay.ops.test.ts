/**
 * Operating a relay process: SIGTERM drains (pending writes committed and
 * acknowledged, sockets closed with 1001, exit 0); /healthz and /metrics
 * report real figures after known traffic; documents unload when idle; the
 * `key` command, --help and bad flags; static files with --app and the
 * relay list of /feedmesh.json (--client-relay).
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { CloseCodes, Identity, postsDocId, threadDocId } from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RawClient, readDocs } from './helpers/RawClient.js'
import { liveIds, write } from './helpers/records.js'
import { cliPath, killAllRelays, relayDir, spawnRelay, tempDir } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const alice = Identity.generate()
const posts = postsDocId(alice.userId, '2026-04')

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', cliPath, ...args], {
    cwd: relayDir,
    encoding: 'utf8',
    timeout: 20_000,
  })
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  if (line === undefined) throw new Error(`no metric ${series}`)
  return Number(line.slice(series.length + 1))
}

function rawGet(
  url: string,
  rawPath: string,
): Promise<{ status: number; type: string; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const req = http.request(
      { hostname, port, path: rawPath, method: 'GET', timeout: 5000 },
      (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type']),
            body,
            headers: res.headers,
          }),
        )
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('relay: operations', () => {
  it('drains on SIGTERM: pending writes acknowledged, 1001 going away, exit 0', async () => {
    const data = tempDir()
    const relay = await spawnRelay({ data })
    const client = await RawClient.open(relay.url, alice)
    const device = new Y.Doc()
    const refs: { ref: number; id: string }[] = []
    for (let i = 0; i < 300; i++) {
      const id = `d${i}`
      refs.push({
        ref: client.update(
          posts,
          write(device, posts, alice, [{ type: 'post', id, body: { text: id } }]).update,
        ),
        id,
      })
    }
    await client.result(refs[0]!.ref)
    const exit = relay.kill('SIGTERM')
    const closed = await client.closed
    expect(closed.code).toBe(CloseCodes.GoingAway)
    expect(await exit).toEqual({ code: 0, signal: null })
    const acked = refs
      .filter(({ ref }) => client.resultOf(ref)?.ok === true)
      .map(({ id }) => `${alice.userId}/${id}`)
    expect(acked.length).toBeGreaterThan(0)
    console.info(
      `SIGTERM after the first ack: ${acked.length} of ${refs.length} writes acknowledged before 1001`,
    )
    const again = await spawnRelay({ data })
    const stored = liveIds((await readDocs(again.url, [posts])).get(posts)!)
    for (const id of acked) expect(stored.has(id), id).toBe(true)
    expect(relay.stderr()).toContain('"msg":"closed"')
  })

  it('reports real figures in /healthz and /metrics, and unloads idle documents', async () => {
    const relay = await spawnRelay({ args: ['--name', 'ops-relay', '--idle-unload-ms', '300'] })
    const a = await RawClient.open(relay.url, alice)
    const b = await RawClient.open(relay.url)
    const docs = [posts, threadDocId(alice.userId, 'x')]
    await b.subscribe(docs.map((docId) => ({ docId, stateVector: new Uint8Array([0]) })))
    const device = new Y.Doc()
    for (let i = 0; i < 5; i++) {
      const up = write(device, posts, alice, [
        { type: 'post', id: `m${i}`, body: { text: 'm' } },
      ]).update
      expect(await a.write(posts, up)).toEqual({ ok: true })
    }
    const forged = write(new Y.Doc(), posts, Identity.generate(), [
      { type: 'post', id: 'f', body: { text: 'f' } },
    ])
    expect(await a.write(posts, forged.update)).toMatchObject({
      ok: false,
      error: { rule: 'not-allowed' },
    })
    await b.ping()

    const health = (await (await relay.get('/healthz')).json()) as Record<string, unknown>
    expect(health).toEqual({
      name: 'ops-relay',
      publicKey: relay.publicKey,
      epoch: relay.epoch,
      seq: 5,
      documentsLoaded: 2,
      documentsHot: expect.any(Number),
      connections: 2,
    })
    const res = await relay.get('/metrics')
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(metricValue(text, 'feedmesh_relay_connections{endpoint="feedmesh"}')).toBe(2)
    expect(metricValue(text, 'feedmesh_relay_documents_loaded')).toBe(2)
    expect(
      metricValue(text, 'feedmesh_relay_updates_in_total{endpoint="feedmesh",result="stored"}'),
    ).toBe(5)
    expect(metricValue(text, 'feedmesh_relay_updates_refused_total{rule="not-allowed"}')).toBe(1)
    expect(metricValue(text, 'feedmesh_relay_updates_out_total{endpoint="feedmesh"}')).toBe(5)
    expect(metricValue(text, 'feedmesh_relay_ack_latency_seconds_count')).toBe(5)
    expect(metricValue(text, 'feedmesh_relay_bytes_in_total')).toBeGreaterThan(500)
    expect(metricValue(text, 'feedmesh_relay_bytes_out_total')).toBeGreaterThan(500)

    // memory follows the active set: once nobody uses them, documents unload
    await a.close()
    await b.close()
    for (let i = 0; ; i++) {
      const now = (await (await relay.get('/healthz')).json()) as {
        documentsLoaded: number
        connections: number
      }
      if (now.documentsLoaded === 0 && now.connections === 0) break
      if (i > 100) throw new Error(`documents still loaded: ${JSON.stringify(now)}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // and load again on use, with their content
    const reread = await readDocs(relay.url, [posts])
    expect(liveIds(reread.get(posts)!).size).toBe(5)
    expect((await relay.get('/nothing-here')).status).toBe(404)
  })

  it('prints its key, its help, and refuses bad flags', async () => {
    const data = tempDir()
    const key = cli(['key', '--data', data])
    expect(key.status).toBe(0)
    const publicKey = key.stdout.trim()
    expect(publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(fs.statSync(path.join(data, 'relay.key')).mode & 0o777).toBe(0o600)
    expect(cli(['key', '--data', data]).stdout.trim()).toBe(publicKey)
    const relay = await spawnRelay({ data })
    expect(relay.publicKey).toBe(publicKey)
    const help = cli(['--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('Examples:')
    expect(help.stdout).toContain('FEEDMESH_PORT')
    const bad = cli(['--port', 'seven'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('--port')
    expect(cli(['--no-such-flag']).status).toBe(2)
    const badRelay = cli(['--client-relay', 'http://example.org'])
    expect(badRelay.status).toBe(2)
    expect(badRelay.stderr).toContain(
      '--client-relay needs a ws:// or wss:// URL, got "http://example.org"',
    )
    // the environment works like the flags
    const env = await spawnRelay({ env: { FEEDMESH_NAME: 'from-env' } })
    expect(env.name).toBe('from-env')
  })

  it('serves an app with --app: content types, index.html fallback, no path traversal', async () => {
    const app = tempDir()
    fs.writeFileSync(path.join(app, 'index.html'), '<!doctype html><title>app</title>')
    fs.writeFileSync(path.join(app, 'app.js'), 'console.log(1)')
    fs.mkdirSync(path.join(app, 'assets'))
    fs.writeFileSync(path.join(app, 'assets', 'style.css'), 'body{}')
    const secret = path.join(path.dirname(app), `${path.basename(app)}-secret.txt`)
    fs.writeFileSync(secret, 'secret')
    try {
      const relay = await spawnRelay({ args: ['--app', app] })
      const index = await rawGet(relay.httpUrl, '/')
      expect(index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' })
      expect(index.body).toContain('<title>app</title>')
      expect(index.headers['x-content-type-options']).toBe('nosniff')
      expect(index.headers['cache-control']).toBe('no-cache')
      const script = await rawGet(relay.httpUrl, '/app.js')
      expect(script).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' })
      expect(script.headers['x-content-type-options']).toBe('nosniff')
      expect(await rawGet(relay.httpUrl, '/assets/style.css')).toMatchObject({
        status: 200,
        type: 'text/css; charset=utf-8',
      })
      expect((await rawGet(relay.httpUrl, '/u/alice/timeline')).body).toContain(
        '<title>app</title>',
      )
      expect((await rawGet(relay.httpUrl, '/missing.png')).status).toBe(404)
      const escapes = [
        `/../${path.basename(secret)}`,
        `/%2e%2e/${path.basename(secret)}`,
        `/..%2f${path.basename(secret)}`,
        `/assets/../../${path.basename(secret)}`,
        '/%00',
        '/..\\..\\etc\\passwd',
      ]
      for (const p of escapes) {
        const res = await rawGet(relay.httpUrl, p)
        expect(res.body, p).not.toContain('secret')
      }
      // the relay's own routes still win
      expect((await rawGet(relay.httpUrl, '/healthz')).type).toContain('application/json')
      expect(JSON.parse((await rawGet(relay.httpUrl, '/feedmesh.json')).body)).toEqual({
        name: 'feedmesh-relay',
        relays: [],
      })
    } finally {
      fs.rmSync(secret, { force: true })
    }
  })

  it('lists its --client-relay URLs in /feedmesh.json, flags over the environment', async () => {
    const relay = await spawnRelay({
      args: [
        '--name',
        'eu-1',
        '--client-relay',
        'wss://eu-1.example.org',
        '--client-relay',
        'ws://127.0.0.1:8788/',
      ],
      env: { FEEDMESH_CLIENT_RELAYS: 'wss://ignored.example.org' },
    })
    const res = await rawGet(relay.httpUrl, '/feedmesh.json?v=1')
    expect(res).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' })
    expect(res.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(res.body)).toEqual({
      name: 'eu-1',
      relays: ['wss://eu-1.example.org', 'ws://127.0.0.1:8788/'],
    })
    const fromEnv = await spawnRelay({
      env: { FEEDMESH_CLIENT_RELAYS: 'ws://a.example:1, wss://b.example' },
    })
    expect(await (await fromEnv.get('/feedmesh.json')).json()).toEqual({
      name: 'feedmesh-relay',
      relays: ['ws://a.example:1', 'wss://b.example'],
    })
    // without --app, everything else stays 404
    expect((await fromEnv.get('/index.html')).status).toBe(404)
  })
})
