/**
 * Record ids the client makes: sortable ids for posts, comments and
 * messages (9 base36 digits of the creation time in ms, then 8 random
 * base64url characters), so the creation time of a record survives edits
 * (an edit's `at` is the edit time) and ids sort by creation; reaction ids
 * derived from the emoji; mod record ids derived from their target.
 */
import { toBase64url } from '../base64url.js'
import { ErrorCodes, FeedmeshError } from '../errors.js'
import type { UserId } from '../Identity.js'
import { recordIdPattern } from '../schemas.js'

const timeDigits = 9
const idPattern = /^([0-9a-z]{9})[A-Za-z0-9_-]{8}$/
const encoder = new TextEncoder()

/** A new sortable id for a record created at `at` (ms since the epoch). */
export function newId(at: number): string {
  const random = new Uint8Array(6)
  crypto.getRandomValues(random)
  return Math.max(0, Math.floor(at)).toString(36).padStart(timeDigits, '0') + toBase64url(random)
}

/** The creation time encoded in an id made by {@link newId}, or `undefined`. */
export function timeOfId(id: string): number | undefined {
  const m = idPattern.exec(id)
  if (m === null) return undefined
  const at = Number.parseInt(m[1]!, 36)
  return Number.isSafeInteger(at) ? at : undefined
}

/** The record id of a reaction: base64url of the emoji's UTF-8. */
export function reactionId(emoji: string): string {
  return toBase64url(encoder.encode(emoji))
}

/** The record id of the `mod` record that hides `target`: `<author>.<id>`. */
export function modId(target: { author: UserId; id: string }): string {
  const id = `${target.author}.${target.id}`
  if (!recordIdPattern.test(id)) {
    throw new FeedmeshError(ErrorCodes.BadArgument, `cannot hide "${target.id}": id too long`)
  }
  return id
}
