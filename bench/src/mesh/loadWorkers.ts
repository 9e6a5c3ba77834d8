/**
 * The parent side of the capacity scenario's load generators: forks
 * `loadWorker.ts` processes (`node --import tsx`, IPC channel), hands each
 * its connections, runs phases on all of them at once and merges their
 * results. Workers are killed by PID when closed (and at exit).
 */
import { type ChildProcess, fork } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchDir } from '../spawnServer.js'
import type { ConnectionJob, FromWorker, LoadPhase, PhaseResult, ToWorker } from './loadProtocol.js'

const workerFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'loadWorker.ts')

const live = new Set<number>()
process.on('exit', () => {
  for (const pid of live) killPid(pid)
})

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** One load-generator process. */
interface Worker {
  child: ChildProcess
  pid: number
  /** The next message from the worker. */
  next(timeoutMs: number): Promise<FromWorker>
}

function startWorker(): Worker {
  const child = fork(workerFile, [], {
    cwd: benchDir,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pid = child.pid!
  live.add(pid)
  child.once('exit', () => live.delete(pid))
  const queue: FromWorker[] = []
  let waiter: ((msg: FromWorker) => void) | undefined
  child.on('message', (msg: FromWorker) => {
    if (waiter !== undefined) {
      const w = waiter
      waiter = undefined
      w(msg)
    } else queue.push(msg)
  })
  return {
    child,
    pid,
    next(timeoutMs) {
      const queued = queue.shift()
      if (queued !== undefined) return Promise.resolve(queued)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined
          reject(new Error(`load worker ${pid}: no answer within ${timeoutMs} ms`))
        }, timeoutMs)
        const exit = () => reject(new Error(`load worker ${pid} exited`))
        child.once('exit', exit)
        waiter = (msg) => {
          clearTimeout(timer)
          child.off('exit', exit)
          resolve(msg)
        }
      })
    },
  }
}

async function expect<T extends FromWorker['type']>(
  worker: Worker,
  type: T,
  timeoutMs: number,
): Promise<Extract<FromWorker, { type: T }>> {
  const msg = await worker.next(timeoutMs)
  if (msg.type === 'error') throw new Error(`load worker ${worker.pid}: ${msg.message}`)
  if (msg.type !== type)
    throw new Error(`load worker ${worker.pid}: expected ${type}, got ${msg.type}`)
  return msg as Extract<FromWorker, { type: T }>
}

/** A set of load-generator processes. */
export interface LoadWorkers {
  /** PIDs (for CPU accounting). */
  readonly pids: number[]
  /** Replaces every worker's connections: spreads `readers` and `writers` over the workers (round robin); resolves once all are connected. */
  connect(readers: readonly ConnectionJob[], writers: readonly ConnectionJob[]): Promise<void>
  /** Runs one phase on every worker at once; the merged result. */
  phase(phase: Omit<LoadPhase, 'type'>): Promise<PhaseResult>
  /** Closes the connections and kills the processes. */
  close(): Promise<void>
}

/** Starts `count` workers, without connections yet. */
export function startLoadWorkers(count: number): LoadWorkers {
  const workers = Array.from({ length: count }, startWorker)
  const close = async () => {
    await Promise.all(
      workers.map(async (w) => {
        if (w.child.exitCode !== null || w.child.signalCode !== null) return
        const gone = new Promise((resolve) => w.child.once('exit', resolve))
        killPid(w.pid)
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000).unref())])
      }),
    )
  }
  return {
    pids: workers.map((w) => w.pid),
    async connect(readers, writers) {
      workers.forEach((w, i) => {
        const msg: ToWorker = {
          type: 'setup',
          readers: readers.filter((_, j) => j % count === i),
          writers: writers.filter((_, j) => j % count === i),
        }
        w.child.send(msg)
      })
      await Promise.all(workers.map((w) => expect(w, 'ready', 120_000)))
    },
    async phase(phase) {
      const msg: ToWorker = { type: 'phase', ...phase }
      for (const w of workers) w.child.send(msg)
      const results = await Promise.all(
        workers.map((w) => expect(w, 'result', phase.durationMs + phase.drainMs + 60_000)),
      )
      return {
        type: 'result',
        sent: results.reduce((n, r) => n + r.sent, 0),
        acked: results.reduce((n, r) => n + r.acked, 0),
        ackedInWindow: results.reduce((n, r) => n + r.ackedInWindow, 0),
        refused: results.reduce((n, r) => n + r.refused, 0),
        unanswered: results.reduce((n, r) => n + r.unanswered, 0),
        deliveriesInWindow: results.reduce((n, r) => n + r.deliveriesInWindow, 0),
        deliveries: results.reduce((n, r) => n + r.deliveries, 0),
        latenciesMs: results.flatMap((r) => r.latenciesMs),
        readersClosed: results.reduce((n, r) => n + r.readersClosed, 0),
        closeCodes: [...new Set(results.flatMap((r) => r.closeCodes))],
      }
    },
    close,
  }
}
