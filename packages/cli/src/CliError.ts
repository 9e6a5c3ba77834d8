/**
 * Failures of the `feedmesh` CLI and its exit codes. A {@link CliError}
 * carries the exit code and a stable `code` naming the failure; the entry
 * point prints `feedmesh: <message>` on stderr and exits with it.
 */

/** Exit codes, as a const object; {@link ExitCode} is the union. */
export const ExitCodes = {
  /** Done. */
  Ok: 0,
  /** The command failed (network, relay, storage, unknown data ...). */
  Failure: 1,
  /** The command line is wrong (unknown command or flag, missing or bad argument). */
  Usage: 2,
} as const

/** One of {@link ExitCodes}. */
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes]

/** Stable names of CLI failures, as a const object; {@link CliErrorCode} is the union. */
export const CliErrorCodes = {
  /** Unknown command, unknown flag, wrong number of arguments. */
  Usage: 'usage',
  /** A malformed argument: post reference, user id, room, URL, number. */
  BadArgument: 'bad-argument',
  /** No key file where one is needed. */
  NoKey: 'no-key',
  /** `keygen` would overwrite a key. */
  KeyExists: 'key-exists',
  /** No relay answered within `--timeout`. */
  Timeout: 'timeout',
  /** A write was stored locally only: no relay configured. */
  NoRelay: 'no-relay',
  /** A relay refused a write (its guard). */
  Refused: 'refused',
  /** The thing asked for does not exist (deleted or unknown to the relays). */
  NotFound: 'not-found',
  /** Anything else that failed. */
  Failed: 'failed',
} as const

/** One of {@link CliErrorCodes}. */
export type CliErrorCode = (typeof CliErrorCodes)[keyof typeof CliErrorCodes]

/** A failure to report to the user with an exit code. */
export class CliError extends Error {
  /** Stable name of the failure. */
  readonly code: CliErrorCode
  /** The process exit code. */
  readonly exitCode: ExitCode

  /**
   * @param code stable name of the failure
   * @param message what went wrong and, where possible, what to do
   * @param exitCode defaults to 2 for `usage` and `bad-argument`, else 1
   */
  constructor(code: CliErrorCode, message: string, exitCode?: ExitCode) {
    super(message)
    this.name = 'CliError'
    this.code = code
    this.exitCode =
      exitCode ??
      (code === CliErrorCodes.Usage || code === CliErrorCodes.BadArgument
        ? ExitCodes.Usage
        : ExitCodes.Failure)
  }
}

/** A usage error (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(CliErrorCodes.Usage, message)
}

/** A malformed argument (exit 2). */
export function badArgument(message: string): CliError {
  return new CliError(CliErrorCodes.BadArgument, message)
}
