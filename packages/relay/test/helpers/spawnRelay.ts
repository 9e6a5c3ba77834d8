/**
 * Starts a REAL relay process for a test: `node --import tsx src/cli.ts`
 * on 127.0.0.1 (port 0, or a given port to restart a relay where its
 * clients expect it) with the given data directory and flags, and reads
 * the first stdout line (its JSON: url, httpUrl, publicKey, ...). The
 * process is registered for teardown BEFORE anything can fail: it is
 * killed by PID at the end of the current test (when called inside one),
 * by {@link killAllRelays}, and at process exit. Every wait is bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

const here = path.dirname(fileURLToPath(import.meta.url))
/** The relay package directory (cwd of the child, so `tsx` resolves). */
export const relayDir = path.resolve(here, '../..')
/** The CLI entry the child runs. */
export const cliPath = path.join(relayDir, 'src/cli.ts')

/** How a relay process ended. */
export interface RelayExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A running relay process. */
export interface SpawnedRelay {
  /** WebSocket URL of the feedmesh protocol. */
  url: string
  /** HTTP base URL. */
  httpUrl: string
  /** The relay's public key. */
  publicKey: string
  /** The relay's name. */
  name: string
  /** The store's epoch. */
  epoch: string
  /** The child's PID. */
  pid: number
  /** The data directory. */
  data: string
  /** The child process. */
  child: ChildProcess
  /** Everything the child wrote on stderr so far (its JSON logs). */
  stderr(): string
  /** Resolves when the process has exited. */
  exited: Promise<RelayExit>
  /** Sends `signal` (default SIGKILL) and waits (bounded) for the exit. */
  kill(signal?: NodeJS.Signals): Promise<RelayExit>
  /** GET a path of the relay's HTTP server as JSON (or text with `text: true`). */
  get(urlPath: string): Promise<Response>
}

/** Options of {@link spawnRelay}. */
export interface SpawnRelayOptions {
  /** Data directory (default: a new temporary one, removed at teardown). */
  data?: string
  /** Extra CLI flags. */
  args?: string[]
  /** Port to listen on (default 0: any free port). */
  port?: number
  /** Extra environment variables. */
  env?: Record<string, string>
  /** How long to wait for the first stdout line, in ms. Default 20 000. */
  timeoutMs?: number
}

const running = new Set<ChildProcess>()
const tempDirs = new Set<string>()

process.on('exit', () => {
  for (const child of running) if (child.pid !== undefined) safeKill(child.pid, 'SIGKILL')
})

function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}

/** A new temporary directory, removed by {@link killAllRelays} / at test end. */
export function tempDir(prefix = 'feedmesh-relay-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

/** Kills every relay started by this helper (by PID) and removes temporary directories. */
export async function killAllRelays(): Promise<void> {
  const exits = [...running].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        if (child.pid !== undefined) safeKill(child.pid, 'SIGKILL')
        setTimeout(resolve, 5000).unref()
      }),
  )
  await Promise.all(exits)
  running.clear()
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}

/** Starts a relay process (see the module comment). */
export async function spawnRelay(options: SpawnRelayOptions = {}): Promise<SpawnedRelay> {
  const ownDir = options.data === undefined
  const data = options.data ?? tempDir()
  let child: ChildProcess | undefined
  const teardown = async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child?.once('exit', resolve))
      safeKill(child.pid, 'SIGKILL')
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5000).unref())])
    }
    if (ownDir) {
      fs.rmSync(data, { recursive: true, force: true })
      tempDirs.delete(data)
    }
  }
  try {
    onTestFinished(teardown)
  } catch {
    // not inside a test: the caller tears down with killAllRelays()
  }
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      cliPath,
      '--host',
      '127.0.0.1',
      '--port',
      String(options.port ?? 0),
      '--data',
      data,
      ...(options.args ?? []),
    ],
    {
      cwd: relayDir,
      env: { ...process.env, FEEDMESH_LOG_LEVEL: 'info', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const proc = child
  running.add(proc)
  let stderr = ''
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<RelayExit>((resolve) => {
    proc.once('exit', (code, signal) => {
      running.delete(proc)
      resolve({ code, signal })
    })
  })
  const first = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      reject(new Error(`relay did not start within ${options.timeoutMs ?? 20_000} ms\n${stderr}`))
    }, options.timeoutMs ?? 20_000)
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(out.slice(0, nl))
      }
    })
    void exited.then((exit) => {
      clearTimeout(timer)
      reject(new Error(`relay exited before starting (${JSON.stringify(exit)})\n${stderr}`))
    })
  })
  const info = JSON.parse(first) as {
    url: string
    httpUrl: string
    publicKey: string
    name: string
    epoch: string
  }
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<RelayExit> => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
      safeKill(proc.pid, signal)
    }
    const timeout = new Promise<RelayExit>((_, reject) =>
      setTimeout(() => reject(new Error(`relay did not exit after ${signal}`)), 15_000).unref(),
    )
    return Promise.race([exited, timeout])
  }
  return {
    ...info,
    pid: proc.pid!,
    data,
    child: proc,
    stderr: () => stderr,
    exited,
    kill,
    get: (urlPath) => fetch(`${info.httpUrl}${urlPath}`, { signal: AbortSignal.timeout(10_000) }),
  }
}
