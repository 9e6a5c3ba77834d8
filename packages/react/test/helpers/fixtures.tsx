/**
 * Fixtures of the hook tests: real clients on memory storage (alone, or
 * linked through an in-process relay on a simulated network), a provider
 * wrapper, and the clean-up of everything a test opened.
 */
import { FeedClient, Identity, MemoryStorage, type UserId } from '@feedmesh/core'
import type { ReactNode } from 'react'
import { MemoryRelay, type MemoryRelayOptions } from '../../../core/src/transport/MemoryRelay.js'
import { MemoryTransport } from '../../../core/src/transport/MemoryTransport.js'
import { SimNetwork } from '../../../core/src/transport/SimNetwork.js'
import { FeedProvider } from '../../src/FeedProvider.js'

const opened: FeedClient[] = []

/** Closes every client the fixtures opened (call after unmounting). */
export async function closeClients(): Promise<void> {
  await Promise.all(opened.splice(0).map((c) => c.close()))
}

/** A clock that moves 1 ms per reading, so posts get distinct times in order. */
export function steppingClock(start = Date.UTC(2026, 2, 10)): () => number {
  let t = start
  return () => t++
}

/** An offline client on memory storage. */
export async function offlineClient(): Promise<FeedClient> {
  const client = await FeedClient.open({
    identity: Identity.generate(),
    storage: new MemoryStorage(),
    now: steppingClock(),
  })
  opened.push(client)
  return client
}

/** A relay on an automatically delivering simulated network. */
export function memoryRelay(options: Partial<MemoryRelayOptions> = {}): {
  net: SimNetwork
  relay: MemoryRelay
} {
  const net = options.network ?? new SimNetwork({ seed: 5, auto: true })
  const relay = new MemoryRelay({ name: 'relay-1', ...options, network: net })
  return { net, relay }
}

/** A client connected to `relay` over `net`. */
export async function relayClient(net: SimNetwork, relay: MemoryRelay): Promise<FeedClient> {
  const identity = Identity.generate()
  const client = await FeedClient.open({
    identity,
    storage: new MemoryStorage(),
    transports: [new MemoryTransport({ network: net, relay, identity })],
    backoff: { baseMs: 2, maxMs: 10, preferredRetryMs: 20 },
  })
  opened.push(client)
  return client
}

/** The provider for `client` around `children`. */
export function withClient(client: FeedClient, children: ReactNode): ReactNode {
  return <FeedProvider client={client}>{children}</FeedProvider>
}

/** The first characters of a user id, as components below show it. */
export function short(uid: UserId): string {
  return uid.slice(0, 8)
}
