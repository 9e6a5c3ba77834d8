/**
 * The entries of an awareness update, in y-protocols' awareness encoding
 * (`y-protocols/awareness` `encodeAwarenessUpdate`): a count, then per
 * entry the client id, the clock and the state as a JSON string (`null`
 * for a client that left). The relay reads them to check who a state
 * claims to be (`awarenessCheck.ts`) and to forward every entry over the
 * mesh once (`mesh/AwarenessFilter.ts`); it keeps the JSON as it came, so
 * what it forwards is byte for byte what the client sent.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

/** One entry of an awareness update. */
export interface AwarenessEntry {
  /** The awareness client id (one per open presence). */
  clientId: number
  /** The entry's clock: a higher one replaces a lower one. */
  clock: number
  /** The state as JSON, as sent (`"null"`: the client left). */
  json: string
}

/** Reads the entries of an awareness update; throws when it does not decode. */
export function decodeAwarenessEntries(payload: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(payload)
  const count = decoding.readVarUint(decoder)
  // every entry takes at least three bytes: a count beyond that is a lie
  if (count > payload.length) throw new Error('awareness update: bad entry count')
  const entries: AwarenessEntry[] = []
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder)
    const clock = decoding.readVarUint(decoder)
    const json = decoding.readVarString(decoder)
    entries.push({ clientId, clock, json })
  }
  if (decoding.hasContent(decoder)) throw new Error('awareness update: trailing bytes')
  return entries
}

/** Writes entries as one awareness update. */
export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientId)
    encoding.writeVarUint(encoder, entry.clock)
    encoding.writeVarString(encoder, entry.json)
  }
  return encoding.toUint8Array(encoder)
}

/** True when the entry says its client left (its state is `null`). */
export function isRemoval(entry: AwarenessEntry): boolean {
  return entry.json.trim() === 'null'
}
