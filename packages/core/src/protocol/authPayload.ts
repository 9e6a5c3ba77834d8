/**
 * The bytes an `AUTH` signature covers. The challenger sends a fresh nonce
 * and its own id in `CHALLENGE`; the responder signs
 * `authPayload(nonce, challengerId, responderRole)` with its Ed25519 key
 * and sends its public key and the signature in `AUTH`; the challenger
 * rebuilds the payload with its own nonce and id and the role of the
 * responder's `HELLO`, and verifies.
 *
 * The payload is domain-separated (it can never be mistaken for a signed
 * record, whose canonical bytes start with `feedmesh-record-v1`) and binds:
 * the nonce (no replay of an old answer), the challenger's id (an answer
 * made for relay A does not open a session at relay B) and the role (a
 * client's answer never authenticates a peer relay link). Layout: lib0
 * varString `feedmesh-auth-v1`, varUint role (0 client, 1 relay), the 32
 * nonce bytes, the challenger's 32 key bytes.
 *
 * This authenticates keys, not the channel: against a man in the middle,
 * run WebSockets over TLS.
 *
 * @module
 */
import * as encoding from 'lib0/encoding'
import { fromBase64url } from '../base64url.js'
import type { UserId } from '../Identity.js'
import {
  type AuthMessage,
  type ChallengeMessage,
  KEY_BYTES,
  MessageTypes,
  NONCE_BYTES,
  type Role,
  Roles,
} from './messages.js'
import { ProtocolError, ProtocolErrorCodes } from './ProtocolError.js'

/** The domain string that opens every auth payload. */
export const AUTH_DOMAIN = 'feedmesh-auth-v1'

/**
 * The canonical bytes an `AUTH` signature covers: `nonce` from the
 * `CHALLENGE`, `relayId` the challenger's id from the same `CHALLENGE`,
 * `role` the responder's role. Throws {@link ProtocolError} `bad-field` for
 * a nonce that is not 32 bytes, a relay id that is not a user id, or an
 * unknown role.
 */
export function authPayload(nonce: Uint8Array, relayId: UserId, role: Role): Uint8Array {
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) {
    throw new ProtocolError(ProtocolErrorCodes.BadField, `the nonce must be ${NONCE_BYTES} bytes`)
  }
  const key = typeof relayId === 'string' ? fromBase64url(relayId) : null
  if (key === null || key.length !== KEY_BYTES) {
    throw new ProtocolError(ProtocolErrorCodes.BadField, 'the relay id must be a user id')
  }
  if (role !== Roles.Client && role !== Roles.Relay) {
    throw new ProtocolError(ProtocolErrorCodes.BadField, `unknown role ${String(role)}`)
  }
  const e = encoding.createEncoder()
  encoding.writeVarString(e, AUTH_DOMAIN)
  encoding.writeVarUint(e, role === Roles.Client ? 0 : 1)
  encoding.writeUint8Array(e, nonce)
  encoding.writeUint8Array(e, key)
  return encoding.toUint8Array(e)
}

/** What answers a challenge: a key pair that signs (an `Identity`, a relay key). */
export interface ChallengeSigner {
  /** The public key, as a user id. */
  readonly userId: UserId
  /** Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array
}

/**
 * The `AUTH` answering `challenge` as `signer` in `role`: its public key
 * and its signature over {@link authPayload} of the challenge's nonce and
 * challenger id. Every responder (client transport, peer link, test and
 * benchmark clients) builds its `AUTH` here.
 */
export function answerChallenge(
  challenge: Pick<ChallengeMessage, 'nonce' | 'relayId'>,
  signer: ChallengeSigner,
  role: Role,
): AuthMessage {
  return {
    type: MessageTypes.Auth,
    publicKey: signer.userId,
    signature: signer.sign(authPayload(challenge.nonce, challenge.relayId, role)),
  }
}
