/**
 * One command's connection to the feed: the user's key, the local store in
 * `--data` and a {@link FeedClient} over WebSocket transports to the
 * `--relay` URLs. It adds the two waits a command-line client needs, both
 * bounded by `--timeout`:
 *
 * - {@link Session.catchUp}: until the relay in use has answered every
 *   document the open queries read (the client's sync status says
 *   `synced`) and the client is quiet; repeated while answers open more
 *   documents (a followed user's months, a post's thread), so a read from an
 *   empty store shows what the relay holds;
 * - {@link Session.acknowledged}: until the outbox is empty, i.e. a relay
 *   acknowledged every local write as durable, failing when a relay refused
 *   one.
 */
import {
  ErrorCodes,
  FeedClient,
  FeedmeshError,
  type Identity,
  type LiveQuery,
  type SyncStatus,
  type Transport,
  WebSocketTransport,
} from '@feedmesh/core'
import WebSocket from 'ws'
import { CliError, CliErrorCodes } from './CliError.js'
import type { CommonOptions } from './cliArgs.js'
import { readKey } from './keyFile.js'
import { SqliteStorage } from './SqliteStorage.js'

/** The client name sent to relays. */
const CLIENT_NAME = 'feedmesh-cli'

/** An open client with its store and the waits of the CLI. */
export class Session {
  /** The feed client. */
  readonly client: FeedClient
  /** The identity of the key file. */
  readonly identity: Identity
  /** The common options of the command. */
  readonly options: CommonOptions
  readonly #storage: SqliteStorage
  readonly #status: LiveQuery<SyncStatus>
  #closed = false

  private constructor(
    client: FeedClient,
    identity: Identity,
    storage: SqliteStorage,
    options: CommonOptions,
  ) {
    this.client = client
    this.identity = identity
    this.#storage = storage
    this.options = options
    this.#status = client.syncStatus()
  }

  /** Reads the key, opens the store and the client (which starts connecting to the first relay). */
  static async open(options: CommonOptions): Promise<Session> {
    const identity = readKey(options.key)
    let storage: SqliteStorage
    try {
      storage = SqliteStorage.open(options.data)
    } catch (error) {
      throw new CliError(CliErrorCodes.Failed, (error as Error).message)
    }
    const transports: Transport[] = options.relays.map(
      (url) =>
        new WebSocketTransport({
          url,
          identity,
          WebSocket,
          name: CLIENT_NAME,
          handshakeTimeoutMs: Math.min(options.timeoutMs, 15_000),
        }),
    )
    try {
      const client = await FeedClient.open({
        identity,
        storage,
        transports,
        backoff: { baseMs: 100, maxMs: 2_000, preferredRetryMs: 10_000 },
      })
      return new Session(client, identity, storage, options)
    } catch (error) {
      await storage.close()
      throw error
    }
  }

  /** True when at least one relay is configured. */
  get hasRelays(): boolean {
    return this.options.relays.length > 0
  }

  /** The current sync status. */
  get status(): SyncStatus {
    return this.#status.current
  }

  /**
   * Waits until the relay in use answered every open document and the
   * client applied the answers (`FeedClient.whenSynced`, see the module
   * comment); with no relay configured, only until the local store is read.
   * Throws `timeout` after `--timeout`, naming the relays and their last
   * error, and `failed` when every relay refused this client.
   */
  async catchUp(): Promise<void> {
    await this.client.settled()
    if (!this.hasRelays) return
    try {
      await this.client.whenSynced({ timeoutMs: this.options.timeoutMs })
    } catch (error) {
      if (error instanceof FeedmeshError && error.code === ErrorCodes.Timeout) {
        throw new CliError(CliErrorCodes.Timeout, this.#notCaughtUp(error.message))
      }
      if (error instanceof FeedmeshError && error.code === ErrorCodes.NoRelay) {
        throw this.#refusedEverywhere()
      }
      throw error
    }
  }

  /**
   * Waits until no local write is pending (every one acknowledged as
   * durable by a relay). Throws `no-relay` with no relay configured,
   * `timeout` after `--timeout`, `refused` when a relay refused a write.
   */
  async acknowledged(): Promise<void> {
    await this.client.settled()
    if (!this.hasRelays) {
      throw new CliError(
        CliErrorCodes.NoRelay,
        `no relay configured: the write is stored in ${this.options.data} only; pass --relay URL (or set FEEDMESH_RELAY) to publish it, or --no-wait to store it locally on purpose`,
      )
    }
    const deadline = Date.now() + this.options.timeoutMs
    await this.#until(
      (s) => s.pending === 0,
      deadline,
      () => {
        const s = this.status
        return new CliError(
          CliErrorCodes.Timeout,
          `no relay acknowledged ${s.pending} pending write(s) within ${this.options.timeoutMs} ms (${this.#connection()}); they are kept in ${this.options.data} and sent by the next command that reaches a relay (e.g. \`feedmesh sync\`)`,
        )
      },
    )
    const s = this.status
    if (s.refused > 0) {
      throw new CliError(
        CliErrorCodes.Refused,
        `the relay refused ${s.refused} write(s)${s.lastError === undefined ? '' : `: ${s.lastError.message}`}`,
      )
    }
  }

  /**
   * After a read: gives writes still in the outbox (e.g. from an earlier
   * `--no-wait`) a chance to reach the relay; returns a warning instead of
   * failing.
   */
  async flushQuietly(): Promise<string | undefined> {
    await this.client.settled()
    if (!this.hasRelays || this.status.pending === 0) return undefined
    try {
      await this.acknowledged()
      return undefined
    } catch (error) {
      return error instanceof Error ? error.message : String(error)
    }
  }

  /** Closes the client (waiting for local writes to be stored) and the store. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#status.close()
    try {
      await this.client.close()
    } finally {
      await this.#storage.close()
    }
  }

  /** Resolves once `done(status)` holds; rejects with `failure()` at `deadline`. */
  #until(
    done: (status: SyncStatus) => boolean,
    deadline: number,
    failure: () => CliError,
  ): Promise<void> {
    if (done(this.status)) return Promise.resolve()
    if (this.#allRefused(this.status)) return Promise.reject(this.#refusedEverywhere())
    return new Promise((resolve, reject) => {
      const finish = (error?: CliError) => {
        clearTimeout(timer)
        unsubscribe()
        if (error === undefined) resolve()
        else reject(error)
      }
      const timer = setTimeout(() => finish(failure()), Math.max(0, deadline - Date.now()))
      const unsubscribe = this.#status.subscribe((status) => {
        if (done(status)) finish()
        else if (this.#allRefused(status)) finish(this.#refusedEverywhere())
      })
    })
  }

  /** True when every configured relay refused this client for good (the client stopped trying). */
  #allRefused(status: SyncStatus): boolean {
    return status.failedRelays.length >= this.options.relays.length
  }

  #refusedEverywhere(): CliError {
    const s = this.status
    const why = s.lastError === undefined ? '' : `: ${s.lastError.message}`
    return new CliError(
      CliErrorCodes.Failed,
      `every relay refused this client (${this.options.relays.join(', ')})${why}`,
    )
  }

  #notCaughtUp(detail: string): string {
    const s = this.status
    const ms = this.options.timeoutMs
    const last = s.lastError?.message
    return s.online
      ? `the relay ${s.relay ?? ''} did not answer within ${ms} ms${last === undefined ? '' : ` (last error: ${last})`}`
      : `cannot reach ${this.#relayList()} within ${ms} ms: ${last ?? detail}`
  }

  #connection(): string {
    const s = this.status
    if (s.online) return `connected to ${s.relay ?? 'a relay'}`
    return s.lastError === undefined ? 'offline' : `offline: ${s.lastError.message}`
  }

  #relayList(): string {
    const list = this.options.relays
    return list.length === 1 ? `the relay ${list[0]}` : `any relay of ${list.join(', ')}`
  }
}
