/**
 * Keeps docs/cli.md true: its quick start runs as written (bash, with
 * `feedmesh` on PATH and a real relay) and does what the comments say; every
 * command, flag and environment variable it documents exists in the CLI.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { killAllRelays, spawnRelay } from '../../relay/test/helpers/spawnRelay.js'
import { CommandFlags, Commands, CommonFlags } from '../src/commandSpecs.js'
import { cliDir, entryArgs, killAllClis, removeTemps, tempDir } from './helpers/runCli.js'

const doc = fs.readFileSync(path.resolve(cliDir, '../../docs/cli.md'), 'utf8')

afterAll(async () => {
  await killAllClis()
  await killAllRelays()
  removeTemps()
})

/** The body of the code block of docs/cli.md tagged `sh <tag>`. */
function exampleBlock(tag: string): string {
  const block = new RegExp(`\`\`\`sh ${tag}\n([\\s\\S]*?)\`\`\``).exec(doc)?.[1]
  expect(block, tag).toBeDefined()
  return block!
}

/**
 * Runs `script` with bash (`set -euo pipefail`), `feedmesh` on PATH, a fresh
 * HOME and a relay of its own in place of ws://127.0.0.1:8787.
 */
async function runExample(script: string): Promise<{ stdout: string; home: string }> {
  const relay = await spawnRelay()
  const home = tempDir('feedmesh-cli-docs-home-')
  const bin = tempDir('feedmesh-cli-docs-bin-')
  const quoted = [process.execPath, ...entryArgs].map((a) => `'${a}'`).join(' ')
  fs.writeFileSync(path.join(bin, 'feedmesh'), `#!/bin/sh\nexec ${quoted} "$@"\n`, {
    mode: 0o755,
  })
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FEEDMESH_')) env[k] = v
  const { stdout } = await promisify(execFile)(
    'bash',
    ['-c', `set -euo pipefail\n${script.replaceAll('ws://127.0.0.1:8787', relay.url)}`],
    {
      cwd: cliDir,
      env: { ...env, HOME: home, PATH: `${bin}:${process.env.PATH}` },
      timeout: 60_000,
    },
  )
  return { stdout, home }
}

describe('docs/cli.md', { timeout: 90_000 }, () => {
  it('documents every command and flag, and only those', () => {
    for (const c of Commands) expect(doc, c.name).toContain(`\`${c.name}`)
    const flags = new Set([...CommonFlags, ...CommandFlags].map((f) => f.name))
    const documented = [...doc.matchAll(/`(?:[a-z ]+ )?\[?--([a-z-]+)/g)].map((m) => m[1]!)
    expect(documented.length).toBeGreaterThan(8)
    for (const flag of documented) expect(flags, flag).toContain(flag)
    for (const f of CommonFlags) {
      expect(doc, f.name).toContain(`\`--${f.name}`)
      if (f.env !== undefined) expect(doc, f.env).toContain(`\`${f.env}\``)
    }
  })

  it('runs the quick start against a real relay', async () => {
    const block = exampleBlock('cli-example')
    expect(block).toContain('ws://127.0.0.1:8787')
    const { stdout, home } = await runExample(block)
    const lines = stdout.trim().split('\n')
    const alice = lines[0]!
    const bob = lines[1]!
    expect(alice).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(bob).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const thread = JSON.parse(lines[lines.length - 2]!) as Record<string, unknown>[]
    expect(thread[0]).toMatchObject({
      kind: 'post',
      author: alice,
      text: 'hello, mesh',
      comments: 1,
      reactions: { '🎉': 1 },
    })
    expect(thread[1]).toMatchObject({ kind: 'comment', author: bob, text: 'hi alice' })
    expect(lines[lines.length - 1]).toBe(bob)
    expect(fs.existsSync(path.join(home, '.feedmesh', 'key'))).toBe(true)
    expect(fs.existsSync(path.join(home, '.feedmesh-bob', 'feedmesh.sqlite'))).toBe(true)
  })

  it('runs the comments example after the quick start and does what its comments say', async () => {
    const script = [
      exampleBlock('cli-example'),
      exampleBlock('cli-example-comments'),
      'feedmesh thread "$ref" --json',
    ].join('\n')
    const { stdout } = await runExample(script)
    const json = stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{') || l.startsWith('['))
      .map((l) => JSON.parse(l) as unknown)
    const [, edited, unreacted, thread] = json as [
      unknown,
      { ref: string; rev: number },
      Record<string, unknown>,
      Record<string, unknown>[],
    ]
    expect(edited.rev).toBe(2)
    expect(unreacted).toMatchObject({ emoji: '🎉', unreacted: true })
    expect(thread).toHaveLength(2)
    expect(thread[0]).toMatchObject({ kind: 'post', comments: 1, reactions: {} })
    expect(thread[1]).toMatchObject({ kind: 'comment', text: 'hi alice' })
    expect(edited.ref.startsWith(`${thread[0]!.ref as string}/`)).toBe(true)
  })
})

describe('README.md', () => {
  it('shows the same quick start as docs/cli.md (which the test above runs)', () => {
    const readme = fs.readFileSync(path.resolve(cliDir, '../../README.md'), 'utf8')
    const pick = (text: string) => /```sh cli-example\n([\s\S]*?)```/.exec(text)?.[1]
    expect(pick(readme)).toBeDefined()
    expect(pick(readme)).toBe(pick(doc))
  })
})
