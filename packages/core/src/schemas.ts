/**
 * Schemas of every record type, checked with valibot when a record is read
 * or guarded. A record that fails its schema is dropped and counted by the
 * reader, never shown and never thrown at the app.
 */
import * as v from 'valibot'
import { isBase64urlOf } from './base64url.js'
import { isUserId } from './Identity.js'

/** Every record type, as a const object; {@link RecordType} is the union. */
export const RecordTypes = {
  Profile: 'profile',
  Bucket: 'bucket',
  Post: 'post',
  Comment: 'comment',
  Reaction: 'reaction',
  Follow: 'follow',
  Follower: 'follower',
  Block: 'block',
  Mod: 'mod',
  Message: 'message',
} as const

/** One of {@link RecordTypes}. */
export type RecordType = (typeof RecordTypes)[keyof typeof RecordTypes]

/** Limits on record contents. */
export const RecordLimits = {
  /** Longest post text, in UTF-16 code units. */
  postText: 5000,
  /** Longest comment or chat message. */
  commentText: 2000,
  /** Longest display name. */
  name: 80,
  /** Longest bio. */
  bio: 500,
  /** Longest reaction (one emoji or short word). */
  emoji: 16,
  /** Longest record id. */
  recordId: 128,
} as const

/** A record id: 1-128 characters of `[A-Za-z0-9_.-]`, never containing `/`. */
export const recordIdPattern = /^[A-Za-z0-9_.-]{1,128}$/

const userId = v.custom<string>(isUserId, 'expected a user id')
const text = (max: number) => v.pipe(v.string(), v.maxLength(max))
/** A post reference `<uid>/<postId>`. */
const ref = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}\/[A-Za-z0-9_-]{1,64}$/))

/** The body that deletes a record: a tombstone version. */
export const TombstoneBody = v.strictObject({ deleted: v.literal(true) })

/** Body of each record type (a tombstone is valid for every type). */
export const BodySchemas = {
  profile: v.strictObject({
    name: text(RecordLimits.name),
    bio: v.optional(text(RecordLimits.bio)),
    avatar: v.optional(v.pipe(v.string(), v.maxLength(500), v.url())),
  }),
  bucket: v.strictObject({}),
  post: v.strictObject({
    text: text(RecordLimits.postText),
    replyTo: v.optional(ref),
  }),
  comment: v.strictObject({ text: v.pipe(text(RecordLimits.commentText), v.minLength(1)) }),
  reaction: v.strictObject({
    emoji: v.pipe(v.string(), v.minLength(1), v.maxLength(RecordLimits.emoji)),
  }),
  follow: v.strictObject({}),
  follower: v.strictObject({}),
  block: v.strictObject({}),
  mod: v.strictObject({
    action: v.literal('hide'),
    target: v.strictObject({
      author: userId,
      id: v.pipe(v.string(), v.regex(recordIdPattern)),
    }),
  }),
  message: v.strictObject({ text: v.pipe(text(RecordLimits.commentText), v.minLength(1)) }),
} as const satisfies Record<RecordType, v.GenericSchema>

/** The body type of each record type. */
export type RecordBodies = { [T in RecordType]: v.InferOutput<(typeof BodySchemas)[T]> }

/** A tombstone body. */
export type Tombstone = v.InferOutput<typeof TombstoneBody>

/** The envelope of every signed record (body checked by {@link BodySchemas}). */
export const EnvelopeSchema = v.strictObject({
  doc: v.pipe(v.string(), v.maxLength(200)),
  author: userId,
  type: v.picklist(Object.values(RecordTypes)),
  id: v.pipe(v.string(), v.regex(recordIdPattern)),
  rev: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 31)),
  at: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER)),
  yid: v.tuple([
    v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 32 - 1)),
    v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER)),
  ]),
  body: v.unknown(),
  sig: v.custom<string>(
    (s) => typeof s === 'string' && isBase64urlOf(s, 64),
    'expected a signature',
  ),
})

/** True when `body` is valid for `type` (or is a tombstone). */
export function isValidBody(type: RecordType, body: unknown): boolean {
  return v.is(TombstoneBody, body) || v.is(BodySchemas[type], body)
}
