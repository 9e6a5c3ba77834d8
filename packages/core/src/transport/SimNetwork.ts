/**
 * A simulated, manually stepped message network for tests: every link (a
 * client's connection to a relay, or a link between two relays) is a pair
 * of FIFO queues, one per direction, so the order within one connection is
 * preserved as TCP would; across links, {@link SimNetwork.step} picks the
 * next queue with a seeded PRNG, so a run is replayable from its seed.
 *
 * Partitions: {@link SimNetwork.cut} drops a link's in-flight messages and
 * tells both ends (a client transport closes); {@link SimNetwork.restore}
 * lets the link carry messages again (a client may reconnect). Messages
 * marked duplicable (relay → client updates) may be delivered a second time,
 * later, when the `duplicate` option is set.
 *
 * In `auto` mode every message is delivered from a microtask, so simple
 * tests need no stepping; `run()` still waits until the network is quiet.
 */
/** The two directions of a link, as a const object; {@link Direction} is the union. */
export const Directions = {
  /** From the end that opened the link (client, or initiating relay) to the other. */
  Up: 'up',
  /** Back towards the end that opened the link. */
  Down: 'down',
} as const

/** One of {@link Directions}. */
export type Direction = (typeof Directions)[keyof typeof Directions]

/** Options of a {@link SimNetwork}. */
export interface SimNetworkOptions {
  /** Seed of the PRNG that picks delivery order and duplicates (default 1). */
  seed?: number
  /** Deliver every message from a microtask instead of waiting for `step()`. */
  auto?: boolean
  /** Probability (0..1) that a duplicable message is delivered once more, later. */
  duplicate?: number
}

/** Options of one message. */
export interface SendOptions {
  /** The message may be delivered twice (Yjs updates are idempotent). */
  duplicable?: boolean
}

interface Message {
  deliver: () => void
  duplicable: boolean
}

/** A small seeded PRNG (mulberry32): a float in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A link of a {@link SimNetwork}: two FIFO queues and cut/restore listeners. */
export class SimLink {
  /** The link's name, for messages and debugging. */
  readonly name: string
  /** @internal queues by direction */
  readonly queues: Record<Direction, Message[]> = { up: [], down: [] }
  readonly #network: SimNetwork
  readonly #cutListeners = new Set<() => void>()
  readonly #restoreListeners = new Set<() => void>()
  #cut = false

  /** @internal created by {@link SimNetwork.link} */
  constructor(network: SimNetwork, name: string) {
    this.#network = network
    this.name = name
  }

  /** True while the link is cut (messages sent on it are dropped). */
  get isCut(): boolean {
    return this.#cut
  }

  /** Messages waiting on this link, both directions. */
  get pending(): number {
    return this.queues.up.length + this.queues.down.length
  }

  /**
   * Queues a message; `deliver` runs when the network delivers it. Dropped
   * silently while the link is cut, as a packet on a dead wire.
   */
  send(direction: Direction, deliver: () => void, options: SendOptions = {}): void {
    if (this.#cut) return
    this.#network.enqueue(this, direction, { deliver, duplicable: options.duplicable === true })
  }

  /** Calls `listener` when the link is cut; returns an unsubscribe function. */
  onCut(listener: () => void): () => void {
    this.#cutListeners.add(listener)
    return () => this.#cutListeners.delete(listener)
  }

  /** Calls `listener` when the link is restored; returns an unsubscribe function. */
  onRestore(listener: () => void): () => void {
    this.#restoreListeners.add(listener)
    return () => this.#restoreListeners.delete(listener)
  }

  /** @internal use {@link SimNetwork.cut} */
  setCut(cut: boolean): void {
    if (this.#cut === cut) return
    this.#cut = cut
    if (cut) {
      this.queues.up.length = 0
      this.queues.down.length = 0
    }
    for (const listener of [...(cut ? this.#cutListeners : this.#restoreListeners)]) listener()
  }
}

/** A seeded, manually stepped network of {@link SimLink}s. */
export class SimNetwork {
  /** The seed the PRNG started from. */
  readonly seed: number
  /** Whether messages are delivered from microtasks. */
  readonly auto: boolean
  readonly #duplicate: number
  readonly #random: () => number
  readonly #links: SimLink[] = []
  readonly #tracked = new Set<Promise<unknown>>()
  /** Messages delivered so far (duplicates included). */
  delivered = 0
  /** Duplicate deliveries so far. */
  duplicated = 0

  /** @param options seed, auto mode, duplication probability */
  constructor(options: SimNetworkOptions = {}) {
    this.seed = options.seed ?? 1
    this.auto = options.auto === true
    this.#duplicate = options.duplicate ?? 0
    this.#random = mulberry32(this.seed)
  }

  /** A float in [0, 1) from the network's seeded PRNG (for tests that need more randomness). */
  random(): number {
    return this.#random()
  }

  /** Creates a link. */
  link(name: string): SimLink {
    const link = new SimLink(this, name)
    this.#links.push(link)
    return link
  }

  /** Every link created so far. */
  get links(): readonly SimLink[] {
    return this.#links
  }

  /** Messages waiting on every link. */
  get pending(): number {
    let n = 0
    for (const link of this.#links) n += link.pending
    return n
  }

  /** Cuts a link: drops its in-flight messages and tells both ends. */
  cut(link: SimLink): void {
    link.setCut(true)
  }

  /** Restores a cut link: it carries messages again and both ends are told. */
  restore(link: SimLink): void {
    link.setCut(false)
  }

  /**
   * Registers asynchronous work of an endpoint (a relay checking an update),
   * so {@link run} waits for it before deciding the network is quiet.
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.#tracked.add(work)
    const done = () => {
      this.#tracked.delete(work)
    }
    work.then(done, done)
    return work
  }

  /** @internal called by {@link SimLink.send} */
  enqueue(link: SimLink, direction: Direction, message: Message): void {
    const queue = link.queues[direction]
    queue.push(message)
    if (this.auto) queueMicrotask(() => this.#deliverHead(queue))
  }

  /**
   * Delivers one message from a randomly chosen non-empty queue. Returns
   * false when nothing is waiting.
   */
  step(): boolean {
    const queues: Message[][] = []
    for (const link of this.#links) {
      if (link.queues.up.length > 0) queues.push(link.queues.up)
      if (link.queues.down.length > 0) queues.push(link.queues.down)
    }
    if (queues.length === 0) return false
    const queue = queues[Math.floor(this.#random() * queues.length)]!
    this.#deliverHead(queue)
    return true
  }

  #deliverHead(queue: Message[]): void {
    const message = queue.shift()
    if (message === undefined) return
    if (message.duplicable && this.#duplicate > 0 && this.#random() < this.#duplicate) {
      this.duplicated++
      queue.push({ deliver: message.deliver, duplicable: false })
      if (this.auto) queueMicrotask(() => this.#deliverHead(queue))
    }
    this.delivered++
    message.deliver()
  }

  /** Waits for tracked work and one macrotask turn (pending promises settle). */
  async settle(): Promise<void> {
    while (this.#tracked.size > 0) await Promise.allSettled([...this.#tracked])
    await new Promise<void>((resolve) => setImmediate(resolve))
  }

  /**
   * Delivers messages (in random order) and lets endpoints work until the
   * network stays quiet for `quietRounds` macrotask turns. Returns the number
   * of steps; throws when `maxSteps` is exceeded (a livelock).
   */
  async run(options: { maxSteps?: number; quietRounds?: number } = {}): Promise<number> {
    const maxSteps = options.maxSteps ?? 1_000_000
    const quietRounds = options.quietRounds ?? 3
    let steps = 0
    let quiet = 0
    while (quiet < quietRounds) {
      let moved = false
      while (this.step()) {
        moved = true
        if (++steps > maxSteps) {
          throw new Error(`the network did not become quiet within ${maxSteps} steps`)
        }
      }
      await this.settle()
      quiet = moved || this.pending > 0 ? 0 : quiet + 1
    }
    return steps
  }
}
