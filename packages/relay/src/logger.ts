/**
 * The relay's default logger: pino JSON lines on stderr (stdout carries
 * only the start line of the CLI), written synchronously so nothing is lost
 * when the process exits.
 */
import { type Logger, pino } from 'pino'

/** Log levels accepted by {@link createLogger}. */
export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** One of {@link LogLevels}. */
export type LogLevel = (typeof LogLevels)[number]

/** A pino logger writing JSON to stderr, with `relay` (the relay's name) on every line. */
export function createLogger(relay: string, level: LogLevel = 'info'): Logger {
  return pino(
    { level, base: { pid: process.pid, relay } },
    pino.destination({ dest: 2, sync: true }),
  )
}
