/**
 * What a peer link needs from the mesh that owns it, as an interface (so
 * the link and the mesh do not import each other): the trust list, the
 * figures of each peer, the registration of links once authenticated
 * (where the mesh keeps one link per peer) and once ended, the echo
 * filter of `CHANGES` answers, and presence arriving from a peer.
 */
import type { DocId } from '@feedmesh/core'
import type { PeerStats } from './PeerStats.js'

/** Which side opened a link, as a const object; {@link LinkDirection} is the union. */
export const LinkDirections = {
  /** This relay dialed the peer (a `--peer` URL). */
  Dialed: 'dialed',
  /** The peer dialed this relay. */
  Accepted: 'accepted',
} as const

/** One of {@link LinkDirections}. */
export type LinkDirection = (typeof LinkDirections)[keyof typeof LinkDirections]

/** What the mesh sees of a link. */
export interface LinkInfo {
  /** The peer's verified public key, once authenticated. */
  readonly peerId: string | undefined
  /** Which side opened it. */
  readonly direction: LinkDirection
  /** Closes the link with a close code and a short reason. */
  close(code: number, reason: string): void
}

/** The mesh, as its links see it. */
export interface LinkHost {
  /** True when `key` is among the trusted peer keys. */
  trusts(key: string): boolean
  /** The figures of the peer with this key (created on first use). */
  statsFor(key: string): PeerStats
  /**
   * A link finished its handshake. Returns false when the mesh keeps
   * another link to the same peer instead (it has then closed this one).
   */
  opened(link: LinkInfo): boolean
  /** A link ended (after `opened` or not). */
  ended(link: LinkInfo): void
  /** True when every change of `docId` after `since` (up to its latest, `seq`) came from `peer` (see `EchoIndex`). */
  isEcho(peer: string, docId: string, seq: number, since: number): boolean
  /** The peer has another epoch than before: it may have lost what it sent, forget its echoes. */
  forgetEchoes(peer: string): void
  /** Presence (an awareness update of `docId`) arrived over `link`: deliver and forward what is new. */
  awareness(link: LinkInfo, docId: DocId, payload: Uint8Array): void
}
