/**
 * Test doubles for the sync engine: a transport whose events the test
 * fires by hand, and timers fired by hand.
 */
import type { Timers } from '../../src/client/SyncEngine.js'
import type { DocId } from '../../src/docIds.js'
import type {
  Subscription,
  Transport,
  TransportHandler,
  TransportState,
} from '../../src/transport/Transport.js'

/** A transport whose events the test fires by hand. */
export class FakeTransport implements Transport {
  state: TransportState = 'closed'
  handler: TransportHandler | null = null
  connects = 0
  subscribed: Subscription[][] = []
  unsubscribed: DocId[][] = []
  sent: { docId: DocId; update: Uint8Array; ref: number }[] = []
  awareness: { docId: DocId; payload: Uint8Array }[] = []
  constructor(readonly name: string) {}
  connect(handler: TransportHandler): void {
    this.connects++
    this.state = 'connecting'
    this.handler = handler
  }
  disconnect(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.handler?.onClose('disconnect', { code: 1000, retry: false })
  }
  subscribe(subscriptions: readonly Subscription[]): void {
    this.subscribed.push([...subscriptions])
  }
  unsubscribe(docIds: readonly DocId[]): void {
    this.unsubscribed.push([...docIds])
  }
  sendUpdate(docId: DocId, update: Uint8Array, ref: number): void {
    this.sent.push({ docId, update, ref })
  }
  sendAwareness(docId: DocId, payload: Uint8Array): void {
    this.awareness.push({ docId, payload })
  }
  open(): void {
    this.state = 'open'
    this.handler?.onOpen(this.name)
  }
  /** The connection drops; `retry: false` as after auth-failed (4001). */
  drop(retry = true): void {
    this.state = 'closed'
    this.handler?.onClose('dropped', { code: retry ? 1006 : 4001, retry })
  }
}

/** Timers fired by hand. */
export class ManualTimers implements Timers {
  next = 1
  pending = new Map<number, { fn: () => void; ms: number }>()
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++
    this.pending.set(id, { fn, ms })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number)
  }
  /** Fires every pending timer; returns their delays. */
  fireAll(): number[] {
    const fired = [...this.pending.values()]
    this.pending.clear()
    for (const t of fired) t.fn()
    return fired.map((t) => t.ms)
  }
}
