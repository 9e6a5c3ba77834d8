/**
 * Decoding an untrusted update for the guard, without throwing and without
 * disagreeing with how `Y.applyUpdate` would read the same bytes.
 *
 * `Y.decodeUpdate` and `Y.applyUpdate` parse the struct sections with two
 * different readers. They agree on well-formed input, but `applyUpdate`
 * keeps only the last section of a client that appears twice (including an
 * empty section), while `decodeUpdate` returns the structs of both. The
 * guard would then check structs Yjs never applies and miss the effect of
 * dropping others, so such updates are refused as malformed: the number of
 * sections in the header must equal the number of distinct clients.
 */
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'

/** A struct of a decoded update. */
export type DecodedStruct = Y.Item | Y.GC | Y.Skip

/** A deletion range of a decoded update. */
export interface DeleteRange {
  /** First deleted clock. */
  clock: number
  /** Number of deleted clocks. */
  len: number
}

/** A decoded update: structs per client (ascending, contiguous), deletions per client. */
export interface DecodedUpdate {
  /** The structs of each client, in clock order without gaps (Skip structs fill gaps). */
  structs: Map<number, DecodedStruct[]>
  /** The deletion ranges of each client, sorted and merged. */
  deletes: Map<number, DeleteRange[]>
}

/** Decodes a v1 update; returns why it is malformed as a string instead of throwing. */
export function decodeGuarded(update: Uint8Array): DecodedUpdate | string {
  if (!(update instanceof Uint8Array)) return 'the update is not a byte array'
  let sections: number
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    sections = decoding.readVarUint(decoding.createDecoder(update))
    decoded = Y.decodeUpdate(update)
  } catch (error) {
    return `not a Yjs v1 update (${error instanceof Error ? error.message : String(error)})`
  }
  const structs = new Map<number, DecodedStruct[]>()
  let run: DecodedStruct[] | null = null
  let runClient = -1
  let runEnd = 0
  for (const struct of decoded.structs) {
    const { client, clock } = struct.id
    if (run !== null && client === runClient && clock === runEnd) {
      run.push(struct)
    } else {
      if (structs.has(client)) return `client ${client} appears in more than one section`
      run = [struct]
      runClient = client
      structs.set(client, run)
    }
    runEnd = clock + struct.length
  }
  if (structs.size !== sections) {
    return `the header announces ${sections} client sections, the update holds ${structs.size} non-empty ones`
  }
  const deletes = new Map<number, DeleteRange[]>()
  for (const [client, ranges] of decoded.ds.clients) {
    const merged = mergeRanges(ranges)
    if (merged.length > 0) deletes.set(client, merged)
  }
  return { structs, deletes }
}

/** Sorts ranges and merges overlapping or touching ones; drops empty ones. */
function mergeRanges(ranges: readonly DeleteRange[]): DeleteRange[] {
  const sorted = ranges
    .filter((r) => r.len > 0)
    .map((r) => ({ clock: r.clock, len: r.len }))
    .sort((a, b) => a.clock - b.clock)
  const out: DeleteRange[] = []
  for (const range of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && range.clock <= last.clock + last.len) {
      last.len = Math.max(last.len, range.clock + range.len - last.clock)
    } else {
      out.push(range)
    }
  }
  return out
}
