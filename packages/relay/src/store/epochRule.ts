/**
 * The rule that decides, when a store opens, whether it continues its epoch
 * or starts a new one. Pure: it compares what the database says with what
 * the epoch side file says (`EpochFile.ts`), nothing else.
 *
 * The database keeps the epoch and its head sequence; the side file keeps
 * the epoch and a sequence at or above every acknowledged change (rewritten
 * after every commit). The store continues its epoch only when both agree
 * and the database has every change the side file has seen. Otherwise it
 * starts a new epoch:
 *
 * - `created`: the database is new (whatever the side file says);
 * - `side-file-missing`: the database has an epoch but the side file is
 *   missing or unreadable (data copied to a new machine, a restore of the
 *   database alone, a torn write after a power loss): we cannot prove that
 *   nothing was lost, so we assume it was;
 * - `epoch-mismatch`: the two epochs differ (a database from before an
 *   earlier epoch change, or from another relay);
 * - `restored`: same epoch, but the database's head is below the side
 *   file's sequence: the database is an older copy that lost acknowledged
 *   changes, and its sequence numbers are about to be reused.
 *
 * A new epoch costs each peer link one full reconciliation; continuing
 * wrongly would make peers skip changes forever, so doubt starts a new
 * epoch. What this cannot see: the database AND the side file restored
 * together from the same backup look like a consistent store. Back up the
 * database only (the side file must stay with the machine), or delete the
 * side file when restoring; peers still detect the regression when their
 * cursor is above this store's head (see `RelayStore.changesSince`).
 */
import type { EpochRecord } from './EpochFile.js'

/** Why a store has the epoch it has, as a const object; {@link EpochReason} is the union. */
export const EpochReasons = {
  /** Same epoch as the last run: nothing was lost. */
  Continued: 'continued',
  /** A new database: a first epoch. */
  Created: 'created',
  /** New epoch: the side file is missing or unreadable. */
  SideFileMissing: 'side-file-missing',
  /** New epoch: the database and the side file name different epochs. */
  EpochMismatch: 'epoch-mismatch',
  /** New epoch: the database is an older copy (its head is below the side file's sequence). */
  Restored: 'restored',
} as const

/** Union of every {@link EpochReasons} value. */
export type EpochReason = (typeof EpochReasons)[keyof typeof EpochReasons]

/**
 * Decides the epoch rule. `dbEpoch` is undefined for a new database; `side`
 * is what `EpochFile.read` returned. Returns `continued` or the reason a new
 * epoch must start.
 */
export function decideEpoch(
  dbEpoch: string | undefined,
  dbHead: number,
  side: EpochRecord | 'unreadable' | undefined,
): EpochReason {
  if (dbEpoch === undefined) return EpochReasons.Created
  if (side === undefined || side === 'unreadable') return EpochReasons.SideFileMissing
  if (side.epoch !== dbEpoch) return EpochReasons.EpochMismatch
  if (side.seq > dbHead) return EpochReasons.Restored
  return EpochReasons.Continued
}
