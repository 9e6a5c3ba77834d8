/**
 * Argument checks and errors shared by every storage adapter, so that all of
 * them refuse the same bad input with the same code (`bad-argument`) and
 * report a released store the same way (`closed`).
 */
import type { DocId } from '../docIds.js'
import { ErrorCodes, FeedmeshError } from '../errors.js'

/** Throws `bad-argument` unless `docId` is a non-empty string. */
export function checkDocId(docId: DocId): void {
  if (typeof docId !== 'string' || docId.length === 0) {
    throw new FeedmeshError(ErrorCodes.BadArgument, 'a document id is a non-empty string')
  }
}

/** Throws `bad-argument` unless `update` is a `Uint8Array`. */
export function checkUpdate(update: Uint8Array, what = 'an update'): void {
  if (!(update instanceof Uint8Array)) {
    throw new FeedmeshError(ErrorCodes.BadArgument, `${what} must be a Uint8Array`)
  }
}

/** Throws `bad-argument` unless `value` is a string (metadata keys and values). */
export function checkString(value: string, what: string): void {
  if (typeof value !== 'string') {
    throw new FeedmeshError(ErrorCodes.BadArgument, `${what} must be a string`)
  }
}

/** Throws `bad-argument` unless `seq` is a non-negative safe integer. */
export function checkThroughSeq(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new FeedmeshError(
      ErrorCodes.BadArgument,
      `throughSeq must be a non-negative integer, got ${String(seq)}`,
    )
  }
}

/** The sequence numbers of `seqs` that can name an entry (positive safe integers). */
export function validSeqs(seqs: readonly number[]): number[] {
  if (!Array.isArray(seqs)) {
    throw new FeedmeshError(ErrorCodes.BadArgument, 'seqs must be an array of numbers')
  }
  return seqs.filter((s) => Number.isSafeInteger(s) && s > 0)
}

/** The error every call on a released store rejects with. */
export function closedError(what: string): FeedmeshError {
  return new FeedmeshError(ErrorCodes.Closed, `${what} is closed`)
}
