/**
 * The inbox of one connection: frames are handled one at a time, in arrival
 * order, and the socket stops being read while too many wait (TCP
 * backpressure then slows the sender) and resumes once the backlog drains.
 * Client sessions, y-websocket sessions and peer links share it.
 */

/** What the inbox pauses and resumes (a `ws` socket fits). */
export interface Pausable {
  pause(): void
  resume(): void
}

/** Tasks waiting before the socket is paused. */
export const PAUSE_AT = 512
/** Tasks waiting below which a paused socket resumes. */
export const RESUME_AT = 64

/** A serial task queue with read backpressure on its socket. */
export class FrameInbox {
  readonly #socket: Pausable
  readonly #shouldRun: () => boolean
  readonly #onError: (error: unknown) => void
  #tail: Promise<void> = Promise.resolve()
  #waiting = 0
  #paused = false

  /**
   * @param socket paused while more than {@link PAUSE_AT} tasks wait
   * @param shouldRun checked before each task; a task is skipped when false (closed, draining)
   * @param onError called when a task throws
   */
  constructor(socket: Pausable, shouldRun: () => boolean, onError: (error: unknown) => void) {
    this.#socket = socket
    this.#shouldRun = shouldRun
    this.#onError = onError
  }

  /** Queues a task behind every earlier one. */
  push(task: () => Promise<void> | void): void {
    this.#waiting++
    if (this.#waiting > PAUSE_AT && !this.#paused) {
      this.#paused = true
      this.#socket.pause()
    }
    this.#tail = this.#tail.then(async () => {
      try {
        if (this.#shouldRun()) await task()
      } catch (error) {
        this.#onError(error)
      } finally {
        this.#waiting--
        if (this.#paused && this.#waiting < RESUME_AT) {
          this.#paused = false
          this.#socket.resume()
        }
      }
    })
  }

  /** Resolves once every task queued so far has finished. */
  idle(): Promise<void> {
    return this.#tail
  }
}
