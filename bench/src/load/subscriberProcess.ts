/**
 * A subscriber process of the fan-out and memory scenarios, forked by
 * `subscriberPool.ts` (`--import tsx`). It holds many raw connections to
 * one document (see `rawConnection.ts`) and, during a run, only looks for
 * update markers in the frames (see `marker.ts`): per subscriber which
 * updates of the run arrived, and how long after the writer made them.
 * Driven over IPC (`subscriberMessages.ts`).
 */
import { findMarkers, wallNow } from './marker.js'
import { openRaw } from './openRaw.js'
import type { RawConnection } from './rawConnection.js'
import type { RunTally, SubscriberAnswer, SubscriberRequest } from './subscriberMessages.js'

/** Connections opened at once. */
const OPEN_CONCURRENCY = 50

const connections: RawConnection[] = []
let run = -1
let seen: Uint8Array[] = []
let tally: RunTally = emptyTally(0)

function emptyTally(subscribers: number): RunTally {
  return {
    perSubscriber: new Array<number>(subscribers).fill(0),
    duplicates: 0,
    latencies: [],
    lastAt: 0,
    firstAt: 0,
  }
}

function answer(message: SubscriberAnswer): void {
  process.send?.(message)
}

function listen(index: number, connection: RawConnection): void {
  connection.onFrame = (frame) => {
    const now = wallNow()
    for (const marker of findMarkers(frame)) {
      if (marker.run !== run) continue
      const bits = seen[index]
      if (bits === undefined || marker.seq >= bits.length) continue
      if (bits[marker.seq] === 1) {
        tally.duplicates++
        continue
      }
      bits[marker.seq] = 1
      tally.perSubscriber[index] = (tally.perSubscriber[index] ?? 0) + 1
      tally.latencies.push(now - marker.sentAt)
      if (tally.firstAt === 0) tally.firstAt = now
      tally.lastAt = now
    }
  }
}

async function open(request: Extract<SubscriberRequest, { kind: 'open' }>): Promise<void> {
  const errors: string[] = []
  let next = 0
  const worker = async () => {
    while (next < request.count) {
      next++
      try {
        const connection = await openRaw(request.system, request.url, request.docId)
        listen(connections.length, connection)
        connections.push(connection)
      } catch (error) {
        if (errors.length < 3) errors.push(error instanceof Error ? error.message : String(error))
      }
    }
  }
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker))
  answer({ id: request.id, kind: 'opened', opened: connections.length, errors })
}

process.on('message', (request: SubscriberRequest) => {
  switch (request.kind) {
    case 'open':
      void open(request)
      break
    case 'run':
      run = request.run
      seen = connections.map(() => new Uint8Array(request.updates))
      tally = emptyTally(connections.length)
      answer({ id: request.id, kind: 'done' })
      break
    case 'progress':
      answer({ id: request.id, kind: 'progress', delivered: tally.latencies.length })
      break
    case 'collect':
      answer({ id: request.id, kind: 'collected', tally })
      break
    case 'keepAlive':
      for (const connection of connections) connection.keepAlive()
      answer({ id: request.id, kind: 'done' })
      break
    case 'close':
      void Promise.all(connections.map((c) => c.close())).then(() => {
        answer({ id: request.id, kind: 'done' })
        process.exit(0)
      })
      break
  }
})
process.on('disconnect', () => process.exit(0))
