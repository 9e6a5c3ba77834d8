/**
 * Subscribers in their own processes: forks `subscriberProcess.ts` (with
 * `--import tsx`) `processes` times, spreads the connections over them and
 * drives them over IPC, so that receiving a thousand sockets' frames does
 * not starve the writer or the benchmark. Children are killed by PID when
 * the pool closes (and at exit).
 */
import { type ChildProcess, fork } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { withTimeout } from '../clients/BenchClient.js'
import { benchDir } from '../spawnServer.js'
import type { SystemId } from './rawConnection.js'
import type { RunTally, SubscriberAnswer, SubscriberRequest } from './subscriberMessages.js'

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'subscriberProcess.ts')

const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of live) if (child.pid !== undefined) killPid(child.pid)
})

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** Distributes over every request without its `id`. */
type Request = SubscriberRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never

/** Subscribers of one document spread over child processes. */
export interface SubscriberPool {
  /** Connections that completed their handshake. */
  readonly opened: number
  /** The first few handshake errors. */
  readonly errors: string[]
  /** Starts counting run `run` of `updates` updates (seq 0 to updates - 1). */
  beginRun(run: number, updates: number): Promise<void>
  /** Deliveries counted in the current run so far, over every process. */
  delivered(): Promise<number>
  /** The current run's tallies, merged. */
  collect(): Promise<RunTally>
  /** Has every connection send its keep-alive. */
  keepAlive(): Promise<void>
  /** Closes every connection and ends the processes. */
  close(): Promise<void>
}

class Child {
  readonly #process: ChildProcess
  #nextId = 1
  readonly #waiting = new Map<
    number,
    { resolve: (answer: SubscriberAnswer) => void; reject: (error: Error) => void }
  >()

  constructor() {
    this.#process = fork(script, [], {
      cwd: benchDir,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    live.add(this.#process)
    this.#process.on('message', (answer: SubscriberAnswer) => {
      const waiter = this.#waiting.get(answer.id)
      this.#waiting.delete(answer.id)
      waiter?.resolve(answer)
    })
    this.#process.once('exit', () => {
      live.delete(this.#process)
      for (const waiter of this.#waiting.values())
        waiter.reject(new Error('subscriber process exited'))
      this.#waiting.clear()
    })
  }

  request(request: Request, timeoutMs = 120_000): Promise<SubscriberAnswer> {
    const id = this.#nextId++
    const answered = new Promise<SubscriberAnswer>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject })
    })
    this.#process.send({ ...request, id })
    return withTimeout(answered, timeoutMs, `subscriber ${request.kind}`)
  }

  kill(): void {
    if (this.#process.pid !== undefined) killPid(this.#process.pid)
  }
}

/** Opens `count` subscribers of `docId` on `system` at `url`, over `processes` processes. */
export async function startSubscribers(options: {
  system: SystemId
  url: string
  docId: string
  count: number
  processes: number
}): Promise<SubscriberPool> {
  const children = Array.from({ length: options.processes }, () => new Child())
  const share = (i: number) =>
    Math.floor(options.count / children.length) + (i < options.count % children.length ? 1 : 0)
  const answers = await Promise.all(
    children.map((child, i) =>
      child.request({
        kind: 'open',
        system: options.system,
        url: options.url,
        docId: options.docId,
        count: share(i),
      }),
    ),
  )
  let opened = 0
  const errors: string[] = []
  for (const a of answers) {
    if (a.kind !== 'opened') continue
    opened += a.opened
    errors.push(...a.errors)
  }
  const all = (request: Request) => Promise.all(children.map((c) => c.request(request)))
  return {
    opened,
    errors,
    async beginRun(run, updates) {
      await all({ kind: 'run', run, updates })
    },
    async delivered() {
      let total = 0
      for (const a of await all({ kind: 'progress' }))
        if (a.kind === 'progress') total += a.delivered
      return total
    },
    async collect() {
      const merged: RunTally = {
        perSubscriber: [],
        duplicates: 0,
        latencies: [],
        lastAt: 0,
        firstAt: 0,
      }
      for (const a of await all({ kind: 'collect' })) {
        if (a.kind !== 'collected') continue
        const t = a.tally
        merged.perSubscriber.push(...t.perSubscriber)
        merged.duplicates += t.duplicates
        for (const l of t.latencies) merged.latencies.push(l)
        merged.lastAt = Math.max(merged.lastAt, t.lastAt)
        if (t.firstAt > 0)
          merged.firstAt = merged.firstAt === 0 ? t.firstAt : Math.min(merged.firstAt, t.firstAt)
      }
      return merged
    },
    async keepAlive() {
      await all({ kind: 'keepAlive' })
    },
    async close() {
      await Promise.allSettled(children.map((c) => c.request({ kind: 'close' }, 10_000)))
      for (const c of children) c.kill()
    },
  }
}
