/**
 * The epoch side file, `<data>/epoch`: a small file beside the database that
 * records the store's epoch and a sequence number every acknowledged change
 * is at or below. It lives outside the database on purpose: when the
 * database file is replaced by an older copy, the side file still remembers
 * how far the store had really gone (see `epochRule.ts`).
 *
 * The record is one fixed-size block (JSON padded with spaces) rewritten in
 * place with a single positional write after every commit: one system call,
 * no fsync, and a process killed at any point leaves either the old or the
 * new record (a write this small is never split by a process crash). It is
 * synced to disk on open and on close. A torn or missing file after a power
 * loss only ever makes the store start a new epoch, which is safe.
 */
import fs from 'node:fs'
import { StoreError, StoreErrorCodes, toStoreError } from './storeErrors.js'

/** What the side file records. */
export interface EpochRecord {
  /** The store's epoch. */
  epoch: string
  /** A sequence number at or above every change acknowledged in that epoch. */
  seq: number
}

/** Size of the fixed record, in bytes. */
const RECORD_SIZE = 256

/** Format version written into the record. */
const FORMAT = 1

/** The epoch side file of one data directory, open for writing. */
export class EpochFile {
  readonly #path: string
  #fd: number | undefined
  readonly #block = Buffer.alloc(RECORD_SIZE)

  private constructor(path: string, fd: number) {
    this.#path = path
    this.#fd = fd
  }

  /**
   * Reads the record at `path`: undefined when the file does not exist,
   * `'unreadable'` when it exists but does not hold a valid record.
   */
  static read(path: string): EpochRecord | 'unreadable' | undefined {
    let text: string
    try {
      text = fs.readFileSync(path, 'utf8')
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw toStoreError(error, `cannot read the epoch file ${path}`)
    }
    try {
      const value: unknown = JSON.parse(text.trim())
      if (typeof value !== 'object' || value === null) return 'unreadable'
      const { v, epoch, seq } = value as Record<string, unknown>
      if (v !== FORMAT || typeof epoch !== 'string' || epoch.length === 0) return 'unreadable'
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return 'unreadable'
      return { epoch, seq }
    } catch {
      return 'unreadable'
    }
  }

  /** Opens (creating it when missing) the side file at `path` for writing. */
  static open(path: string): EpochFile {
    try {
      return new EpochFile(
        path,
        fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644),
      )
    } catch (error) {
      throw toStoreError(error, `cannot open the epoch file ${path}`)
    }
  }

  /** Rewrites the record in place (one positional write, no fsync). */
  write(record: EpochRecord): void {
    const fd = this.#fd
    if (fd === undefined) throw new StoreError(StoreErrorCodes.Closed, 'the epoch file is closed')
    const text = JSON.stringify({ v: FORMAT, epoch: record.epoch, seq: record.seq })
    if (Buffer.byteLength(text) >= RECORD_SIZE) {
      throw new StoreError(StoreErrorCodes.BadArgument, 'the epoch is too long for the epoch file')
    }
    this.#block.fill(0x20)
    this.#block.write(text, 0, 'utf8')
    this.#block[RECORD_SIZE - 1] = 0x0a
    try {
      fs.writeSync(fd, this.#block, 0, RECORD_SIZE, 0)
    } catch (error) {
      throw toStoreError(error, `cannot write the epoch file ${this.#path}`)
    }
  }

  /** Writes the record and syncs the file to disk (on open and on close). */
  writeDurably(record: EpochRecord): void {
    this.write(record)
    try {
      fs.ftruncateSync(this.#fd!, RECORD_SIZE)
      fs.fsyncSync(this.#fd!)
    } catch (error) {
      throw toStoreError(error, `cannot sync the epoch file ${this.#path}`)
    }
  }

  /** Closes the file; later writes throw `closed`. Idempotent. */
  close(): void {
    const fd = this.#fd
    this.#fd = undefined
    if (fd !== undefined) fs.closeSync(fd)
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT'
}
