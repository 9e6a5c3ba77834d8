/**
 * The `feedmesh` program without its process: parses the command line,
 * prints help, runs the command's handler and turns every failure into a
 * message on stderr (`feedmesh: ...`) and an exit code (2 for a wrong
 * command line, 1 for anything that failed). `cli.ts` binds it to the real
 * process.
 */
import { ErrorCodes, FeedmeshError } from '@feedmesh/core'
import { CliError, CliErrorCodes, type ExitCode, ExitCodes } from './CliError.js'
import { type Env, parseCommandLine } from './cliArgs.js'
import type { Handler, Io } from './commandContext.js'
import { commandHelp, overviewHelp } from './help.js'
import { keyCommands } from './keyCommands.js'
import { readCommands } from './readCommands.js'
import { threadCommands } from './threadCommands.js'
import { watchCommands } from './watchCommand.js'
import { writeCommands } from './writeCommands.js'

/** Every command's handler by command name (`help` is answered by {@link runCli} itself). */
export const handlers: Readonly<Record<string, Handler>> = {
  ...keyCommands,
  ...writeCommands,
  ...threadCommands,
  ...readCommands,
  ...watchCommands,
}

/** Runs `feedmesh` with `argv` (without `node` and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], env: Env, io: Io): Promise<ExitCode> {
  try {
    const parsed = parseCommandLine(argv, env)
    if (parsed.kind === 'help') {
      const text = (
        parsed.command === undefined ? overviewHelp() : commandHelp(parsed.command)
      ).trimEnd()
      if (parsed.missing === true) {
        io.err(text)
        return ExitCodes.Usage
      }
      io.out(text)
      return ExitCodes.Ok
    }
    const handler = handlers[parsed.command.name]
    if (handler === undefined) {
      // Unreachable: a test checks that every command spec has a handler.
      throw new CliError(CliErrorCodes.Usage, `no handler for the command ${parsed.command.name}`)
    }
    for (const warning of parsed.options.warnings) io.err(`feedmesh: warning: ${warning}`)
    await handler({ inv: parsed, io })
    return ExitCodes.Ok
  } catch (error) {
    const failure = toCliError(error)
    io.err(`feedmesh: ${failure.message}`)
    if (env.FEEDMESH_DEBUG === '1' && error instanceof Error && error.stack !== undefined) {
      io.err(error.stack)
    }
    return failure.exitCode
  }
}

/** Any thrown value as a {@link CliError}. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error
  if (error instanceof FeedmeshError) {
    const code = error.code === ErrorCodes.BadRef ? CliErrorCodes.BadArgument : CliErrorCodes.Failed
    return new CliError(code, error.message)
  }
  const message = error instanceof Error ? error.message : String(error)
  return new CliError(CliErrorCodes.Failed, message)
}
