/**
 * The `CHALLENGE` a relay sends first on every connection it accepts (and
 * after its `HELLO` on every peer link it dials): the protocol versions it
 * speaks, a nonce fresh per connection, its id, name, epoch, current
 * sequence and the limits it enforces (see core's `protocol/messages.ts`).
 */
import { randomBytes } from 'node:crypto'
import {
  type ChallengeMessage,
  MessageTypes,
  MIN_PROTOCOL_VERSION,
  NONCE_BYTES,
  PROTOCOL_VERSION,
} from '@feedmesh/core'
import type { RelayContext } from './RelayContext.js'

/** A fresh challenge nonce: {@link NONCE_BYTES} random bytes from the system's CSPRNG. */
export function challengeNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES))
}

/** This relay's `CHALLENGE` with `nonce`. */
export async function relayChallenge(
  ctx: RelayContext,
  nonce: Uint8Array,
): Promise<ChallengeMessage> {
  const { maxFrameBytes, maxDocsPerConnection, maxBatch } = ctx.limits
  return {
    type: MessageTypes.Challenge,
    minVersion: MIN_PROTOCOL_VERSION,
    maxVersion: PROTOCOL_VERSION,
    nonce,
    relayId: ctx.identity.userId,
    name: ctx.name,
    epoch: ctx.store.epoch,
    seq: await ctx.store.head(),
    limits: { maxFrameBytes, maxDocs: maxDocsPerConnection, maxBatch },
  }
}
