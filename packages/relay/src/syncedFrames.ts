/**
 * Packs the answer to one `SUBSCRIBE` into `SYNCED` frames: one frame when
 * it fits in the frame limit (the usual case: catching up on N documents is
 * one round trip), otherwise as few frames as fit, all but the last with
 * `more: true`. An entry too large for any frame is returned apart, for the
 * caller to report.
 */
import { encodeMessage, MessageTypes, type SyncedEntry } from '@feedmesh/core'

/** Frames of one answer, and the entries that fit in no frame. */
export interface SyncedPacking {
  /** Encoded `SYNCED` frames, in order (at least one). */
  frames: Uint8Array[]
  /** Entries larger than a frame on their own. */
  tooLarge: SyncedEntry[]
}

const encoder = new TextEncoder()

/** Upper bound of an entry's encoded size. */
function entrySize(entry: SyncedEntry): number {
  return encoder.encode(entry.docId).length + entry.update.length + entry.stateVector.length + 3 * 9
}

/**
 * Encodes `entries` as `SYNCED` frames of at most `maxFrameBytes` each,
 * with the relay's `epoch` and `seq` in every frame.
 */
export function packSynced(
  entries: readonly SyncedEntry[],
  epoch: string,
  seq: number,
  maxFrameBytes: number,
): SyncedPacking {
  const overhead = 1 + 9 + encoder.encode(epoch).length + 9 + 9 + 1
  const budget = maxFrameBytes - overhead
  const chunks: SyncedEntry[][] = [[]]
  const tooLarge: SyncedEntry[] = []
  let used = 0
  for (const entry of entries) {
    const size = entrySize(entry)
    if (size > budget) {
      tooLarge.push(entry)
      continue
    }
    if (used + size > budget) {
      chunks.push([])
      used = 0
    }
    chunks[chunks.length - 1]!.push(entry)
    used += size
  }
  const frames = chunks.map((docs, i) =>
    encodeMessage({ type: MessageTypes.Synced, docs, epoch, seq, more: i < chunks.length - 1 }),
  )
  return { frames, tooLarge }
}
