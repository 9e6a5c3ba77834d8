/**
 * A feedmesh identity: an Ed25519 key pair. The user id is the public key in
 * unpadded base64url (43 characters), used inside document ids.
 *
 * The secret key leaves the device only through {@link Identity.export}, a
 * string a person can copy to a second device.
 */
import { fromBase64url, isBase64urlOf, toBase64url } from './base64url.js'
import { publicKeyOf, randomSecretKey, sign } from './ed25519.js'
import { ErrorCodes, FeedmeshError } from './errors.js'

/** A user id: unpadded base64url of a 32-byte Ed25519 public key. */
export type UserId = string

const exportPrefix = 'feedmesh-key-v1:'

/** True when `value` is a well-formed user id. */
export function isUserId(value: unknown): value is UserId {
  return typeof value === 'string' && isBase64urlOf(value, 32)
}

/** Decodes a user id to its 32 public-key bytes; throws `bad-argument` when malformed. */
export function publicKeyFromUserId(userId: UserId): Uint8Array {
  const bytes = isUserId(userId) ? fromBase64url(userId) : null
  if (bytes === null) throw new FeedmeshError(ErrorCodes.BadArgument, `not a user id: ${userId}`)
  return bytes
}

/** An Ed25519 key pair that signs records. */
export class Identity {
  /** The public user id (base64url public key). */
  readonly userId: UserId
  /** The raw 32-byte public key. */
  readonly publicKey: Uint8Array
  readonly #secretKey: Uint8Array

  private constructor(secretKey: Uint8Array) {
    this.#secretKey = secretKey
    this.publicKey = publicKeyOf(secretKey)
    this.userId = toBase64url(this.publicKey)
  }

  /** Creates a new random identity. */
  static generate(): Identity {
    return new Identity(randomSecretKey())
  }

  /** Creates an identity from a 32-byte secret key (seed). */
  static fromSecretKey(secretKey: Uint8Array): Identity {
    if (secretKey.length !== 32) {
      throw new FeedmeshError(ErrorCodes.BadIdentity, 'an Ed25519 secret key has 32 bytes')
    }
    return new Identity(secretKey.slice())
  }

  /**
   * Imports a string made by {@link Identity.export}. Surrounding whitespace
   * is ignored; anything else malformed throws `bad-identity`.
   */
  static import(exported: string): Identity {
    const text = exported.trim()
    if (!text.startsWith(exportPrefix)) {
      throw new FeedmeshError(
        ErrorCodes.BadIdentity,
        `an exported identity starts with "${exportPrefix}"`,
      )
    }
    const [seedText, userId, extra] = text.slice(exportPrefix.length).split('.')
    const seed = seedText === undefined ? null : fromBase64url(seedText)
    if (seed === null || seed.length !== 32 || extra !== undefined) {
      throw new FeedmeshError(ErrorCodes.BadIdentity, 'the exported identity is damaged')
    }
    const identity = new Identity(seed)
    if (userId !== undefined && userId !== identity.userId) {
      throw new FeedmeshError(
        ErrorCodes.BadIdentity,
        'the exported identity does not match its user id (damaged copy?)',
      )
    }
    return identity
  }

  /**
   * Exports the secret key as a copyable string,
   * `feedmesh-key-v1:<seed>.<userId>`. Whoever holds it can write as this user.
   */
  export(): string {
    return `${exportPrefix}${toBase64url(this.#secretKey)}.${this.userId}`
  }

  /** Signs bytes; synchronous and deterministic. */
  sign(message: Uint8Array): Uint8Array {
    return sign(this.#secretKey, message)
  }
}
