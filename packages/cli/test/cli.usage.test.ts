/**
 * The command line without a relay: help, usage errors (exit 2), keys, and
 * writes and reads against the local store only; an unreachable relay is a
 * bounded failure (exit 1) with a clear message.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseCommandLine } from '../src/cliArgs.js'
import type { Io } from '../src/commandContext.js'
import { Commands } from '../src/commandSpecs.js'
import { handlers, runCli } from '../src/main.js'
import { cli, killAllClis, newUser, removeTemps, tempDir } from './helpers/runCli.js'

afterAll(async () => {
  await killAllClis()
  removeTemps()
})

/** Runs the CLI in this process (same code as the executable, without `cli.ts`). */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const io: Io = {
    out: (text) => {
      stdout += `${text}\n`
    },
    err: (text) => {
      stderr += `${text}\n`
    },
    readStdin: async () => '',
    untilSignal: () => new Promise(() => undefined),
  }
  const code = await runCli(argv, { HOME: tempDir() }, io)
  return { code, stdout, stderr }
}

/** A loopback port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('feedmesh: help and usage errors', () => {
  it('has a handler for every command of the help', () => {
    const missing = Commands.map((c) => c.name).filter((n) => n !== 'help' && !(n in handlers))
    expect(missing).toEqual([])
    expect(Object.keys(handlers).length).toBe(Commands.length - 1)
  })

  it('prints the overview and per-command help with examples', async () => {
    const [all, post, viaHelp, bare] = await Promise.all([
      run(['--help']),
      run(['post', '--help']),
      run(['help', 'profile', 'set']),
      cli(['-h']),
    ])
    expect(all.code).toBe(0)
    for (const c of Commands) expect(all.stdout).toContain(`  ${c.name}`)
    expect(all.stdout).toContain('FEEDMESH_RELAY')
    expect(post.code).toBe(0)
    expect(post.stdout).toContain('Usage: feedmesh post TEXT')
    expect(post.stdout).toContain('--no-wait')
    expect(post.stdout).toContain('Examples:\n  feedmesh post "hello, mesh"')
    expect(viaHelp.code).toBe(0)
    expect(viaHelp.stdout).toContain('Usage: feedmesh profile set')
    expect(bare.code).toBe(0)
    expect(bare.stdout).toBe(all.stdout)
  })

  it('refuses a wrong command line with exit 2 and a message naming the problem', async () => {
    const uid = 'A'.repeat(43)
    const cases: [string[], RegExp][] = [
      [[], /Usage: feedmesh COMMAND/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['post'], /post: missing TEXT/],
      [['comment', `${uid}/abc`], /comment: missing TEXT/],
      [['post', 'a', 'b'], /unexpected argument "b".*quote/],
      [['post', 'hi', '--bogus'], /unknown flag --bogus/],
      [['post', 'hi', '--name', 'x'], /post does not take --name/],
      [['post', 'hi', '--timeout', 'soon'], /--timeout must be a whole number/],
      [['post', 'hi', '--relay', 'http://x'], /not a relay URL: "http:\/\/x"/],
      [['profile'], /profile needs a subcommand: set, show/],
      [['profile', 'get'], /profile has no subcommand "get": set, show/],
      [['thread', 'nope'], /bad post reference "nope"/],
      [['edit', `${uid}/short`, 'x'], /bad reference ".*": expected a post .* or a comment/],
      [['delete', `${uid}/0mww61cowxMabcdE/${uid}`], /bad reference/],
      [['hide', `${uid}/0mww61cowxMabcdE`], /bad comment reference .*<uid>\/<commentId>/],
      [['unhide', `${uid}/0mww61cowxMabcdE/bob/0mww61cowxMabcdE`], /bad comment reference/],
      [['unreact', `${uid}/0mww61cowxMabcdEf`], /unreact: missing EMOJI/],
      [['unreact', `${uid}/0mww61cowxMabcdEf`, ''], /EMOJI must have 1 to/],
      [['follow', 'bob'], /bad user id "bob"/],
      [['room', 'no spaces/here'], /bad room "no spaces\/here"/],
      [['posts', 'me', '--limit', '0'], /--limit must be a whole number from 1 to 1000/],
      [['keygen', '--out'], /--out needs a value/],
      [['whoami', '--json=yes'], /--json takes no value/],
      [['help', 'nothing'], /unknown command "nothing"/],
    ]
    for (const [args, pattern] of cases) {
      const r = await run([...args, '--data', tempDir()])
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
      expect(r.stderr).toMatch(pattern)
      expect(r.stdout).toBe('')
    }
    // the same through the real process: exit status and stderr
    const [unknown, missing] = await Promise.all([cli(['frobnicate']), cli(['post'])])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toBe('feedmesh: unknown command "frobnicate" (see feedmesh --help)\n')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/^feedmesh: post: missing TEXT \(usage: feedmesh post TEXT\)/)
  })
})

describe('feedmesh: arguments that start with "-"', () => {
  it('takes user ids and refs starting with "-" (one user in 64) as arguments', async () => {
    const uid = `-${'A'.repeat(42)}`
    const ref = `${uid}/0mww61cowxMabcdE`
    expect(parseCommandLine(['follow', uid, '--data', '/tmp/x'], {})).toMatchObject({
      kind: 'run',
      args: [uid],
    })
    expect(parseCommandLine(['edit', ref, 'new text'], {})).toMatchObject({
      args: [ref, 'new text'],
    })
    const cref = `${ref}/${uid}/0mww61cowxMabcdF`
    expect(parseCommandLine(['hide', cref], {})).toMatchObject({ args: [cref] })
    const reply = parseCommandLine(['post', 'hi', '--reply-to', ref], {})
    expect(reply.kind === 'run' && reply.flags.get('reply-to')).toBe(ref)
    // and through the whole program: a usage error would be exit 2
    const data = tempDir()
    expect((await run(['keygen', '--data', data])).code).toBe(0)
    const r = await run(['posts', uid, '--data', data, '--json'])
    expect(r.stderr).toMatch(/no relay configured/)
    expect(r).toMatchObject({ code: 0, stdout: '[]\n' })
    // text that starts with "-" still needs "--"
    expect((await run(['post', '-1 for this', '--data', data])).code).toBe(2)
  })
})

describe('feedmesh: keys', () => {
  it('keygen prints the user id, writes a private key file and refuses to overwrite it', async () => {
    const data = tempDir()
    const made = await cli(['keygen', '--data', data])
    expect(made.code).toBe(0)
    expect(made.last).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const keyFile = path.join(data, 'key')
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600)
    const who = await cli(['whoami', '--data', data])
    expect(who.code).toBe(0)
    expect(who.last).toBe(made.last)
    const again = await cli(['keygen', '--data', data])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already exists: refusing to overwrite a key/)
    const who2 = await cli(['whoami', '--key', keyFile, '--json'])
    expect(JSON.parse(who2.last)).toMatchObject({ userId: made.last, key: keyFile })
    const forced = await cli(['keygen', '--data', data, '--force'])
    expect(forced.code).toBe(0)
    expect(forced.last).not.toBe(made.last)
    expect((await cli(['whoami', '--data', data])).last).toBe(forced.last)
  })

  it('keygen --out writes elsewhere; FEEDMESH_KEY and FEEDMESH_CLI_DATA select the key', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'sub', 'bot.key')
    const made = await cli(['keygen', '--out', out])
    expect(made.code).toBe(0)
    expect((await cli(['whoami'], { env: { FEEDMESH_KEY: out } })).last).toBe(made.last)
    const byData = await cli(['keygen'], { env: { FEEDMESH_CLI_DATA: dir } })
    expect(byData.code).toBe(0)
    expect((await cli(['whoami', '--data', dir])).last).toBe(byData.last)
    // the relay's FEEDMESH_DATA next to it is ignored ...
    const both = await cli(['whoami'], {
      env: { FEEDMESH_CLI_DATA: dir, FEEDMESH_DATA: tempDir() },
    })
    expect(both.last).toBe(byData.last)
    expect(both.stderr).toBe('')
    // ... and read, with a warning, only when FEEDMESH_CLI_DATA is unset
    const legacy = await cli(['whoami'], { env: { FEEDMESH_DATA: dir } })
    expect(legacy.code).toBe(0)
    expect(legacy.last).toBe(byData.last)
    expect(legacy.stderr).toMatch(/FEEDMESH_DATA is deprecated .* set FEEDMESH_CLI_DATA instead/)
  })

  it('fails with exit 1 when there is no key, or the key file is damaged', async () => {
    const data = tempDir()
    const none = await cli(['whoami', '--data', data])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/no key at .*key: create one with `feedmesh keygen`/)
    const post = await cli(['post', 'hi', '--data', data])
    expect(post.code).toBe(1)
    expect(post.stderr).toMatch(/no key at/)
    fs.writeFileSync(path.join(data, 'key'), 'not a key\n')
    const bad = await cli(['whoami', '--data', data])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/is not a feedmesh key/)
  })
})

describe('feedmesh: without a relay', () => {
  it('post without a relay stores locally: exit 1 unless --no-wait; reads show the local store', async () => {
    const alice = await newUser()
    const strict = await alice.run(['post', 'kept here'])
    expect(strict.code).toBe(1)
    expect(strict.stderr).toMatch(/no relay configured: the write is stored in .* only/)
    expect(strict.last).toMatch(new RegExp(`^${alice.uid}/[0-9a-z]{9}[A-Za-z0-9_-]{8}$`))
    const relaxed = await alice.run(['post', 'line one\nline two', '--no-wait'])
    expect(relaxed.code).toBe(0)
    expect(relaxed.stderr).toMatch(/stored in .* only \(no relay configured\)/)
    const piped = await alice.run(['post', '-', '--no-wait'], { stdin: 'piped text\n' })
    expect(piped.code).toBe(0)
    const list = await alice.run(['posts', 'me', '--json'])
    expect(list.code).toBe(0)
    expect(list.stderr).toMatch(/no relay configured/)
    const posts = JSON.parse(list.last) as { ref: string; text: string; author: string }[]
    expect(posts.map((p) => p.text)).toEqual(['piped text', 'line one\nline two', 'kept here'])
    expect(posts.map((p) => p.ref)).toEqual([piped.last, relaxed.last, strict.last])
    expect(posts.every((p) => p.author === alice.uid)).toBe(true)
  })

  it('an unreachable relay fails within --timeout with a clear message and writes nothing', async () => {
    const alice = await newUser()
    const relay = `ws://127.0.0.1:${await deadPort()}`
    const started = Date.now()
    const [read, write] = await Promise.all([
      alice.run(['timeline', '--timeout', '800'], { relay }),
      alice.run(['post', 'never sent', '--timeout', '800'], { relay }),
    ])
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(read.code).toBe(1)
    expect(read.stderr).toContain(`feedmesh: cannot reach the relay ${relay} within 800 ms`)
    expect(write.code).toBe(1)
    expect(write.stderr).toMatch(/nothing was written \(pass --no-wait/)
    expect(write.stdout).toBe('')
    const local = await alice.run(['posts', 'me', '--json'])
    expect(JSON.parse(local.last)).toEqual([])
  })
})
