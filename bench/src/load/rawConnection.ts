/**
 * What the fan-out, durable-write and memory scenarios drive on each system:
 * a bare WebSocket that joins one document with the system's own minimal
 * handshake and then only hands raw frames on, so that one load-generator
 * process can hold a thousand of them. Writing through it resolves at the
 * system's acknowledgement, whatever that means for the system (see each
 * implementation).
 */

/** The systems measured, as a const object; {@link SystemId} is the union. */
export const SystemIds = {
  /** The feedmesh relay (`packages/relay/dist/cli.js`). */
  Feedmesh: 'feedmesh',
  /** `@y/websocket-server` 0.1.1. */
  YWebsocket: 'y-websocket',
  /** `@hocuspocus/server` 4.7. */
  Hocuspocus: 'hocuspocus',
} as const

/** One of {@link SystemIds}. */
export type SystemId = (typeof SystemIds)[keyof typeof SystemIds]

/** A connection that joined one document. */
export interface RawConnection {
  /** Receives every frame that arrives after the handshake, undecoded. */
  onFrame: ((frame: Buffer) => void) | undefined
  /**
   * Sends a Yjs update of the document; resolves when the system
   * acknowledges it. `key` is a text the update carries verbatim (its
   * marker), used where the acknowledgement is an echo.
   */
  write(update: Uint8Array, key: string): Promise<void>
  /** Sends the system's cheapest message that counts as activity (between measurements only). */
  keepAlive(): void
  /** Closes the socket (bounded wait). */
  close(): Promise<void>
}
