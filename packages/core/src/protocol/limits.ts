/**
 * The bounds `decodeMessage` enforces before it allocates anything, so a
 * hostile frame costs at most its own size. A relay passes its configured
 * limits (and announces them in `WELCOME`); a client may decode with the
 * defaults.
 *
 * @module
 */

/** Bounds for decoding one frame; every field is optional and falls back to {@link DefaultLimits}. */
export interface DecodeLimits {
  /** The largest frame accepted, in bytes. */
  maxFrameBytes?: number
  /** The most entries in one list (subscriptions, synced docs, doc ids, refs). */
  maxBatch?: number
  /** The longest document id, in UTF-8 bytes. */
  maxDocIdLength?: number
  /** The longest other string (names, epochs, error codes and messages), in UTF-8 bytes. */
  maxTextLength?: number
}

/** The default decoding bounds. */
export const DefaultLimits = {
  /** 16 MiB: a large catch-up is split over several `SYNCED` frames anyway. */
  maxFrameBytes: 16 * 1024 * 1024,
  /** Ten thousand documents per batch. */
  maxBatch: 10_000,
  /** Document ids are at most 200 characters (see `parseDocId`), ASCII. */
  maxDocIdLength: 200,
  /** 4 KiB for names, epochs, codes and error messages. */
  maxTextLength: 4096,
} as const satisfies Required<DecodeLimits>
