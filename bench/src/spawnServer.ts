/**
 * Server processes of the benchmark: each system runs in its own Node
 * process on 127.0.0.1 and prints its port (feedmesh: a JSON line with its
 * URL) as the first stdout line. Processes are killed by PID when the run
 * ends (and at exit). Server CPU time is read from `/proc/<pid>/stat`
 * (Linux; 10 ms resolution), absent elsewhere.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
/** The bench package directory. */
export const benchDir = path.resolve(here, '..')
/** The workspace root. */
export const rootDir = path.resolve(benchDir, '..')

/** A running server process. */
export interface ServerProcess {
  /** The WebSocket base URL. */
  url: string
  /** The process id. */
  pid: number
  /** CPU time (user + system) the process used so far, ms; NaN where unknown. */
  cpuMs(): number
  /** Kills the process (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) if (child.pid !== undefined) killPid(child.pid)
})

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** CPU ms of a process from /proc (fields 14 and 15, in clock ticks of 10 ms); NaN where unknown. */
export function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return Number.NaN
  }
}

/** Starts `node ...args` and resolves with its first stdout line. */
export async function spawnServer(
  args: readonly string[],
  urlOf: (firstLine: string) => string,
  timeoutMs = 30_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...args], {
    cwd: benchDir,
    env: { ...process.env, FEEDMESH_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child)
      resolve()
    })
  })
  const first = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), timeoutMs)
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(out.slice(0, nl))
      }
    })
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`server exited before starting: ${stderr}`))
    })
  })
  const pid = child.pid!
  return {
    url: urlOf(first),
    pid,
    cpuMs: () => procCpuMs(pid),
    async stop() {
      killPid(pid)
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())])
    },
  }
}

/** The first stdout line of a peer server: its port. */
export function portUrl(line: string): string {
  return `ws://127.0.0.1:${Number(line)}`
}

/** The first stdout line of a feedmesh relay: JSON with `url`. */
export function relayUrl(line: string): string {
  return (JSON.parse(line) as { url: string }).url
}
