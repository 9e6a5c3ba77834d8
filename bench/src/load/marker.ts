/**
 * Markers that let a load generator time an update without decoding it:
 * the writer puts `FMK|<run>|<seq>|<sent ms>|` into the text it writes, and
 * since Yjs (and feedmesh records inside it) store strings as UTF-8, the
 * marker appears verbatim in every frame that carries the update, whatever
 * the protocol around it. `sent` is `performance.timeOrigin + now()`, which
 * processes on one machine share.
 */

const PREFIX = 'FMK|'
const prefixBytes = Buffer.from(PREFIX)
const BAR = 0x7c

/** A marker found in a frame. */
export interface Marker {
  /** The run (repetition) it belongs to. */
  run: number
  /** The update's number within the run. */
  seq: number
  /** When the writer made it, ms since the epoch (fractional). */
  sentAt: number
}

/** Now, ms since the epoch with sub-millisecond precision, comparable across processes. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now()
}

/** The marker text for update `seq` of `run`, stamped now. */
export function markerText(run: number, seq: number, sentAt = wallNow()): string {
  return `${PREFIX}${run}|${seq}|${sentAt.toFixed(3)}|`
}

/** Every marker in `frame`, in order. */
export function findMarkers(frame: Buffer): Marker[] {
  const found: Marker[] = []
  let from = 0
  for (;;) {
    const at = frame.indexOf(prefixBytes, from)
    if (at < 0) return found
    const fields: string[] = []
    let start = at + prefixBytes.length
    let i = start
    while (fields.length < 3 && i < frame.length && i - start < 32) {
      if (frame[i] === BAR) {
        fields.push(frame.toString('latin1', start, i))
        start = i + 1
      }
      i++
    }
    from = i
    if (fields.length === 3) {
      const [run, seq, sentAt] = fields.map(Number) as [number, number, number]
      if (Number.isFinite(run) && Number.isFinite(seq) && Number.isFinite(sentAt)) {
        found.push({ run, seq, sentAt })
      }
    }
  }
}

/** Filler text so that an update reaches a given size. */
export function padding(chars: number): string {
  return 'x'.repeat(Math.max(0, chars))
}
