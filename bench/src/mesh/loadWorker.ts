/**
 * A load-generator process of the capacity scenario (see
 * `loadProtocol.ts`): raw protocol readers that subscribe and timestamp
 * every update they receive, and authenticated writers that write signed
 * comments carrying a timestamp marker. Runs as a child process with an
 * IPC channel; exits when told to stop or when the parent goes away.
 */
import type { DocId } from '@feedmesh/core'
import * as Y from 'yjs'
import { FastSigner } from './FastSigner.js'
import {
  type FromWorker,
  type LoadPhase,
  type LoadSetup,
  marker,
  PaceModes,
  type PhaseResult,
  type ToWorker,
} from './loadProtocol.js'
import { WireClient } from './WireClient.js'

const send = (msg: FromWorker) => process.send?.(msg)

const MARK = Buffer.from('ts:')

/** Reader connections opened at once. */
const connectBatch = 25

/** The counters of the running phase. */
interface PhaseState {
  phase: number
  writing: boolean
  counting: boolean
  deliveriesInWindow: number
  deliveries: number
  latenciesMs: number[]
}

let current: PhaseState | undefined
const readers: WireClient[] = []
const writers: { client: WireClient; signer: FastSigner; docIds: DocId[] }[] = []

/** Counts the markers of the current phase in one received update. */
function onDelivery(update: Uint8Array): void {
  const state = current
  if (state === undefined || !state.counting) return
  const now = process.hrtime.bigint()
  const bytes = Buffer.from(update.buffer, update.byteOffset, update.byteLength)
  let at = bytes.indexOf(MARK)
  while (at >= 0) {
    let i = at + MARK.length
    let phase = 0
    while (bytes[i]! >= 48 && bytes[i]! <= 57) phase = phase * 10 + bytes[i++]! - 48
    if (bytes[i] === 58 && phase === state.phase) {
      i++
      let ns = 0n
      const start = i
      while (bytes[i]! >= 48 && bytes[i]! <= 57) i++
      ns = BigInt(bytes.toString('latin1', start, i))
      state.deliveries++
      if (state.writing) state.deliveriesInWindow++
      state.latenciesMs.push(Math.round(Number(now - ns) / 1e4) / 100)
    }
    at = bytes.indexOf(MARK, i)
  }
}

async function setup(msg: LoadSetup): Promise<void> {
  // a new setup replaces the connections of the previous one
  await Promise.all([...readers, ...writers.map((w) => w.client)].map((c) => c.close()))
  readers.length = 0
  writers.length = 0
  const empty = Y.encodeStateVector(new Y.Doc())
  // readers connect a batch at a time (thousands of them, one by one, take seconds)
  for (let start = 0; start < msg.readers.length; start += connectBatch) {
    const batch = msg.readers.slice(start, start + connectBatch)
    const opened = await Promise.allSettled(
      batch.map(async (job) => {
        const client = await WireClient.open(job.url)
        readers.push(client)
        client.onUpdate = (_docId, update) => onDelivery(update)
        await client.subscribe(
          job.docIds.map((docId) => ({ docId: docId as DocId, stateVector: empty })),
        )
      }),
    )
    const failed = opened.find((o) => o.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
  }
  for (const job of msg.writers) {
    const signer = new FastSigner()
    const client = await WireClient.open(job.url, signer.identity)
    writers.push({ client, signer, docIds: job.docIds as DocId[] })
  }
}

let nextId = 0

async function runPhase(msg: LoadPhase): Promise<PhaseResult> {
  const state: PhaseState = {
    phase: msg.phase,
    writing: true,
    counting: true,
    deliveriesInWindow: 0,
    deliveries: 0,
    latenciesMs: [],
  }
  current = state
  let sent = 0
  let acked = 0
  let ackedInWindow = 0
  let refused = 0
  let unanswered = 0
  const end = performance.now() + msg.durationMs
  const runs = writers.map(async ({ client, signer, docIds }, w) => {
    let inFlight = 0
    let wake: (() => void) | undefined
    client.onAck = (refs) => {
      acked += refs.length
      if (state.writing) ackedInWindow += refs.length
      inFlight -= refs.length
      wake?.()
    }
    client.onRefused = () => {
      refused++
      inFlight--
      wake?.()
    }
    const answered = async () => {
      // the next phase starts clean: wait (bounded) for the answers to every write
      const deadline = performance.now() + 10_000
      while (inFlight > 0 && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10))
      }
      unanswered += Math.max(0, inFlight)
    }
    let k = w
    const writeOne = () => {
      const docId = docIds[k++ % docIds.length]!
      const text = marker(msg.phase, process.hrtime.bigint())
      client.update(docId, signer.comment(docId, `w${nextId++}`, text))
      sent++
      inFlight++
    }
    if (msg.pace === PaceModes.Rate) {
      const interval = 1000 / msg.ratePerWriter
      // stagger the writers over one interval
      let due = performance.now() + (interval * w) / Math.max(1, writers.length)
      while (due < end) {
        const wait = due - performance.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        writeOne()
        due += interval
      }
    } else {
      while (performance.now() < end) {
        while (inFlight < msg.window && performance.now() < end) writeOne()
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, 50)
        })
        wake = undefined
      }
    }
    return answered
  })
  const waits = await Promise.all(runs)
  state.writing = false
  await Promise.all(waits.map((wait) => wait()))
  await new Promise((r) => setTimeout(r, msg.drainMs))
  state.counting = false
  current = undefined
  return {
    type: 'result',
    sent,
    acked,
    ackedInWindow,
    refused,
    unanswered,
    deliveriesInWindow: state.deliveriesInWindow,
    deliveries: state.deliveries,
    latenciesMs: state.latenciesMs,
    readersClosed: readers.filter((r) => r.closeCode !== undefined).length,
    closeCodes: [
      ...new Set(readers.flatMap((r) => (r.closeCode === undefined ? [] : [r.closeCode]))),
    ],
  }
}

async function stop(): Promise<void> {
  await Promise.all([...readers, ...writers.map((w) => w.client)].map((c) => c.close()))
  process.exit(0)
}

process.on('disconnect', () => process.exit(0))
process.on('message', (msg: ToWorker) => {
  const work =
    msg.type === 'setup'
      ? setup(msg).then(() => send({ type: 'ready' }))
      : msg.type === 'phase'
        ? runPhase(msg).then(send)
        : stop()
  work.catch((error: unknown) =>
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  )
})
