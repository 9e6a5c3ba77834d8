/**
 * The named rules of the write guard and the shapes it answers with.
 *
 * Every refusal names exactly one rule, a stable kebab-case string that a
 * relay sends back to the client (with the document id) and that tests
 * assert on. A refusal never throws: the guard answers garbage with a rule.
 */
import type { UserId } from '../Identity.js'
import type { RecordVerifier, SignedRecord } from '../records.js'

/** Every rule the guard enforces, as a const object; {@link GuardRule} is the union. */
export const GuardRules = {
  /** The document id does not parse. */
  BadDocId: 'bad-doc-id',
  /** The bytes are not a well-formed Yjs v1 update. */
  Malformed: 'malformed',
  /**
   * Something the update builds on is unknown: a clock gap after what the
   * document has of a client, or a deletion of an item neither the document
   * nor the update holds. Retryable once the missing part arrived.
   */
  MissingDependency: 'missing-dependency',
  /** A new garbage-collected range: content that cannot be checked. */
  GcRange: 'gc-range',
  /** A new item that is not an explicit entry of the root map `records`. */
  NotRecordEntry: 'not-record-entry',
  /** An entry whose content is not exactly one JSON record. */
  BadContent: 'bad-content',
  /** An entry that arrives already deleted without being a justified placeholder. */
  BadPlaceholder: 'bad-placeholder',
  /** An entry whose value fails the record schema. */
  BadRecord: 'bad-record',
  /** A record that names another document. */
  WrongDoc: 'wrong-doc',
  /** A record stored under a key other than `author/id/rev/client`, or a key already taken. */
  KeyMismatch: 'key-mismatch',
  /**
   * An entry at a Yjs client id (device) that another author already writes
   * with in this document: it would take that device's next item ids, and
   * Yjs would then silently drop the device's own next write.
   */
  ForeignClient: 'foreign-client',
  /** A record whose `yid` is not the id of the item holding it. */
  YidMismatch: 'yid-mismatch',
  /** An author that may not write this record type into this document. */
  NotAllowed: 'not-allowed',
  /** A deletion of something that is not a superseded record version. */
  UnjustifiedDelete: 'unjustified-delete',
  /** A deletion of another author's entry (or any deletion by an unauthenticated client). */
  ForeignDelete: 'foreign-delete',
  /** A record whose signature does not verify. */
  BadSignature: 'bad-signature',
} as const

/** One of {@link GuardRules}. */
export type GuardRule = (typeof GuardRules)[keyof typeof GuardRules]

/** Who sends an update, and what the guard knows about the document. */
export interface GuardOptions {
  /** The authenticated user of a client connection; `undefined` = unauthenticated. */
  uploader?: UserId
  /**
   * True for a trusted relay link: skips the rules based on the uploader
   * (foreign deletions, placeholder authors); every other rule applies.
   */
  trustedPeer?: boolean
  /** The document owner's block list, when known. */
  blocked?: ReadonlySet<UserId>
  /** Verifies signatures; defaults to `sharedVerifier`. */
  verifier?: RecordVerifier
}

/** An update the guard accepted. */
export interface GuardAccepted {
  /** Accepted. */
  ok: true
  /** False when everything in the update was already known (a no-op). */
  changed: boolean
  /** The new records the update adds, in update order. */
  records: SignedRecord[]
}

/** An update the guard refused, with the rule it broke. */
export interface GuardRefused {
  /** Refused. */
  ok: false
  /** The rule the update broke. */
  rule: GuardRule
  /** What exactly was wrong, for logs and for the sender. */
  message: string
}

/** The guard's answer: accepted (with what is new) or refused (with a rule). */
export type GuardResult = GuardAccepted | GuardRefused

/** Builds a refusal. */
export function refuse(rule: GuardRule, message: string): GuardRefused {
  return { ok: false, rule, message }
}
