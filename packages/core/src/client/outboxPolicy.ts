/**
 * What the sync engine does with an outbox entry (or a repair update) that
 * a relay or the transport answered with an error instead of an ack. The
 * outbox promises that a local write stays until a relay stores it, so an
 * entry is dropped only when no retry of the same bytes can ever be
 * accepted by that relay; the write itself stays in the local replica and
 * the repair step of every later (re)connect offers it again (to this
 * relay and to any other), so dropping never loses data.
 *
 * | error code                          | action | why                                                    |
 * | ----------------------------------- | ------ | ------------------------------------------------------ |
 * | `refused`, rule `missing-dependency`| retry  | at once: ask the relay's state, repair, send again      |
 * | `refused`, any other rule           | drop   | the guard's verdict on these bytes is final; counted    |
 * | `record-too-large` (relay)          | drop   | the relay's size limit refuses these bytes for good; counted |
 * | `too-large` (transport)             | drop   | the frame exceeds the relay's announced limit; counted  |
 * | `rate-limited`, `storage-failed`, `internal` | retry later | transient: send again after a backoff delay |
 * | `read-only`, `unauthenticated`, anything else | keep | the connection, not the write, is at fault: the entry stays, is sent again on the next connection, and `lastError` shows why |
 *
 * "Counted" means `SyncStatus.refused` grows by one and `pending` shrinks.
 *
 * @module
 */
import { ErrorCodes } from '../errors.js'
import { GuardRules } from '../guard/guardRules.js'
import type { RelayError } from '../transport/Transport.js'

/** What to do with an entry answered by an error, as a const object; {@link OutboxAction} is the union. */
export const OutboxActions = {
  /** Remove it from the outbox and count it as refused. */
  Drop: 'drop',
  /** Ask the relay's state at once, repair, then send it again. */
  Retry: 'retry',
  /** Ask the relay's state after a backoff delay, then send it again. */
  RetryLater: 'retry-later',
  /** Leave it in the outbox; it goes out again on the next connection. */
  Keep: 'keep',
} as const

/** One of {@link OutboxActions}. */
export type OutboxAction = (typeof OutboxActions)[keyof typeof OutboxActions]

/** Error codes (of relays and transports) whose entries are dropped and counted. */
const dropped: ReadonlySet<string> = new Set(['record-too-large', 'too-large'])

/** Error codes of transient relay failures: the same bytes will be accepted later. */
const transient: ReadonlySet<string> = new Set(['rate-limited', 'storage-failed', 'internal'])

/** The action for an entry answered with `error` (see the module comment). */
export function outboxActionFor(error: RelayError): OutboxAction {
  if (error.code === ErrorCodes.Refused) {
    return error.rule === GuardRules.MissingDependency ? OutboxActions.Retry : OutboxActions.Drop
  }
  if (dropped.has(error.code)) return OutboxActions.Drop
  if (transient.has(error.code)) return OutboxActions.RetryLater
  return OutboxActions.Keep
}
