/**
 * Keeps the README's "Running a relay" section true: every flag and
 * environment variable it documents exists in `feedmesh-relay --help`, and
 * its example (start, `key`, `/healthz`) behaves as the text says.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cliPath, relayDir, spawnRelay } from './helpers/spawnRelay.js'

const readme = fs.readFileSync(path.join(relayDir, '../../README.md'), 'utf8')
const start = readme.indexOf('## Running a relay')
const end = readme.indexOf('\n## ', start + 1)
const section = readme.slice(start, end < 0 ? undefined : end)

function cli(...args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', cliPath, ...args], {
    cwd: relayDir,
    encoding: 'utf8',
    timeout: 20_000,
  })
}

describe('README: Running a relay', () => {
  it('documents only flags and environment variables the relay has', () => {
    const help = cli('--help')
    const flags = [...section.matchAll(/`(--[a-z-]+)`/g)].map((m) => m[1]!)
    const envs = [...section.matchAll(/`(FEEDMESH_[A-Z_]+)`/g)].map((m) => m[1]!)
    expect(flags.length).toBeGreaterThan(8)
    expect(envs.length).toBeGreaterThan(8)
    for (const flag of flags) expect(help, flag).toContain(flag)
    for (const env of envs) expect(help, env).toContain(env)
  })

  it('runs the example: start, key, healthz', async () => {
    const block = /```sh relay-example\n([\s\S]*?)```/.exec(section)?.[1]
    expect(block).toBeDefined()
    const lines = block!.trim().split('\n')
    expect(lines[0]).toMatch(/^feedmesh-relay --port 0 --data \S+ --name (\S+)$/)
    const name = /--name (\S+)$/.exec(lines[0]!)![1]!
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-readme-'))
    const relay = await spawnRelay({ data, args: ['--name', name] })
    expect(relay.name).toBe(name)
    expect(relay.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)

    expect(lines[1]).toMatch(/^feedmesh-relay key --data \S+$/)
    expect(cli('key', '--data', data).trim().split('\n').at(-1)).toBe(relay.publicKey)

    expect(lines[2]).toContain('/healthz')
    const health = (await (await relay.get('/healthz')).json()) as Record<string, unknown>
    const documented = /`\{ (name, publicKey[^}]*) \}`/.exec(section)![1]!.split(', ')
    expect(Object.keys(health).sort()).toEqual([...documented].sort())
    expect(health.name).toBe(name)
    expect(health.publicKey).toBe(relay.publicKey)
    await relay.kill('SIGTERM')
  })
})
