/**
 * Runs the REAL `feedmesh` CLI as a child process (`node --import tsx
 * src/cli.ts`, cwd the package) with a clean environment: no inherited
 * `FEEDMESH_*` variable, `HOME` in a temporary directory, so nothing touches
 * the user's `~/.feedmesh`. Every child is registered before anything can
 * fail and killed by PID by {@link killAllClis} (call it in `afterAll`; safe
 * with concurrent tests) and at process exit; every wait is bounded.
 *
 * The child runs the built `dist/cli.js` when it is newer than every file of
 * `src/` (as after the workspace's `pnpm build`), else the sources through
 * tsx: either way it runs the current code.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Identity } from '@feedmesh/core'
import { writeKey } from '../../src/keyFile.js'

const here = path.dirname(fileURLToPath(import.meta.url))
/** The CLI package directory. */
export const cliDir = path.resolve(here, '../..')
/** The entry the child runs. */
export const cliEntry = path.join(cliDir, 'src/cli.ts')

/** The built entry. */
export const cliDist = path.join(cliDir, 'dist/cli.js')

/** The newest modification time of the files of `dir` whose names end with `suffix` (0: none). */
function newestMtime(dir: string, suffix: string): number {
  if (!fs.existsSync(dir)) return 0
  let newest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, suffix))
    else if (entry.name.endsWith(suffix)) newest = Math.max(newest, fs.statSync(full).mtimeMs)
  }
  return newest
}

/**
 * `node` arguments that run the CLI: the build when it is current (a file
 * edited since the last build is newer than every built file), else the
 * sources through tsx.
 */
export const entryArgs: readonly string[] =
  fs.existsSync(cliDist) &&
  newestMtime(path.join(cliDir, 'dist'), '.js') >= newestMtime(path.join(cliDir, 'src'), '.ts')
    ? [cliDist]
    : ['--import', 'tsx', cliEntry]

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) safeKill(child)
})

function safeKill(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  try {
    process.kill(child.pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** Kills every CLI process still running (by PID). */
export async function killAllClis(): Promise<void> {
  const exits = [...running].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        safeKill(child)
        setTimeout(resolve, 5000).unref()
      }),
  )
  await Promise.all(exits)
  running.clear()
}

const temps: string[] = []
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-cli-home-'))
temps.push(home)

/** A new temporary directory, removed by {@link removeTemps}. */
export function tempDir(prefix = 'feedmesh-cli-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  temps.push(dir)
  return dir
}

/** Removes every temporary directory made here. */
export function removeTemps(): void {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
}

/** The environment of a child: this process's, without `FEEDMESH_*`, plus `extra`. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FEEDMESH_')) env[k] = v
  return { ...env, HOME: home, ...extra }
}

/** How a CLI run ended. */
export interface CliResult {
  /** Exit code (null when killed by a signal). */
  code: number | null
  /** Signal that ended it, if any. */
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** The last non-empty stdout line. */
  last: string
}

/** Options of {@link cli} and {@link startCli}. */
export interface CliOptions {
  /** Extra environment variables. */
  env?: Record<string, string>
  /** Text for stdin (default: none, stdin closed). */
  stdin?: string
  /** Bound of the whole run, ms (default 30 000). */
  timeoutMs?: number
}

/** A running CLI process. */
export interface RunningCli {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves when `pattern` appears on stderr (bounded). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>
  /** Resolves when `pattern` appears on stdout (bounded). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>
  /** Resolves with the result once the process exits (bounded). */
  done: Promise<CliResult>
}

/** Starts `feedmesh ...args` (see the module comment). */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [...entryArgs, ...args], {
    cwd: cliDir,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  const kill = () => safeKill(child)
  let stdout = ''
  let stderr = ''
  const watchers = new Set<() => void>()
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    for (const w of [...watchers]) w()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    for (const w of [...watchers]) w()
  })
  child.stdin.on('error', () => undefined)
  if (options.stdin !== undefined) child.stdin.end(options.stdin)
  else child.stdin.end()
  const limit = options.timeoutMs ?? 30_000
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill()
      reject(new Error(`feedmesh ${args.join(' ')} did not exit within ${limit} ms\n${stderr}`))
    }, limit)
    child.once('exit', (code, signal) => {
      // let the pipes drain
      setImmediate(() => {
        clearTimeout(timer)
        const lines = stdout.split('\n').filter((l) => l.trim() !== '')
        resolve({ code, signal, stdout, stderr, last: lines[lines.length - 1] ?? '' })
      })
    })
  })
  const waitFor = (read: () => string, pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(read())) {
          cleanup()
          resolve()
        }
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(
          new Error(`no ${pattern} within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`),
        )
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        watchers.delete(check)
      }
      watchers.add(check)
      void done.then(
        () => {
          check()
          if (watchers.has(check)) {
            cleanup()
            reject(new Error(`exited before ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`))
          }
        },
        () => undefined,
      )
      check()
    })
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStderr: (pattern, timeoutMs) => waitFor(() => stderr, pattern, timeoutMs),
    waitForStdout: (pattern, timeoutMs) => waitFor(() => stdout, pattern, timeoutMs),
    done,
  }
}

/** Runs `feedmesh ...args` to completion. */
export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done
}

/** A user of the tests: a data directory with a key, and its user id. */
export interface TestUser {
  data: string
  uid: string
  /** Runs `feedmesh` as this user (`--data`, plus `--relay` unless `relay` is ''). */
  run(args: readonly string[], options?: CliOptions & { relay?: string }): Promise<CliResult>
}

/**
 * Creates a user: a fresh data directory with a key written in-process, as
 * `keygen` writes it (that command has tests of its own; spawning it for
 * every user would only cost time).
 */
export async function newUser(relay?: string): Promise<TestUser> {
  const data = tempDir('feedmesh-cli-user-')
  const identity = Identity.generate()
  writeKey(path.join(data, 'key'), identity, false)
  return {
    data,
    uid: identity.userId,
    run: (args, options = {}) => {
      const relayUrl = options.relay ?? relay
      return cli([...args, '--data', data, ...(relayUrl ? ['--relay', relayUrl] : [])], options)
    },
  }
}
