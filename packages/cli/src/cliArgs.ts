/**
 * Parses the `feedmesh` command line (`node:util` `parseArgs`, strict) into
 * an {@link Invocation}: the command, its positional arguments, its own
 * flags, and the common options resolved against their environment
 * variables. A flag wins over its environment variable, which wins over the
 * default (`--data` also falls back to the deprecated `FEEDMESH_DATA`, with
 * a warning). Everything wrong with the command line is a usage error (exit 2).
 */
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { badArgument, usageError } from './CliError.js'
import {
  CommandFlags,
  type CommandSpec,
  Commands,
  CommonFlags,
  type FlagSpec,
  findCommand,
} from './commandSpecs.js'

/** The options every command has. */
export interface CommonOptions {
  /** Data directory (absolute). */
  data: string
  /** Key file (absolute). */
  key: string
  /** True when the key file was given (flag or environment), not defaulted. */
  keyGiven: boolean
  /** Relay URLs, most preferred first. */
  relays: string[]
  /** Bound of every network wait, ms. */
  timeoutMs: number
  /** Print JSON. */
  json: boolean
  /** Warnings about the command line to print before running it (e.g. a deprecated variable). */
  warnings: string[]
}

/** A command to run. */
export interface Invocation {
  kind: 'run'
  /** The command. */
  command: CommandSpec
  /** Its positional arguments. */
  args: string[]
  /** Its own flags that were given. */
  flags: ReadonlyMap<string, string | boolean>
  /** The common options. */
  options: CommonOptions
}

/** A request for help (`--help`, `help [COMMAND]`, or no command at all). */
export interface HelpRequest {
  kind: 'help'
  /** The command to explain; absent: all commands. */
  command?: CommandSpec
  /** True when no command was given (help goes to stderr, exit 2). */
  missing?: boolean
}

/** The environment variables the CLI reads. */
export type Env = Readonly<Record<string, string | undefined>>

/** Default bound of network waits, ms. */
export const DEFAULT_TIMEOUT_MS = 10_000

const allFlags: readonly FlagSpec[] = [...CommonFlags, ...CommandFlags]
const commonNames = new Set(CommonFlags.map((f) => f.name))

type ParseOptions = Record<
  string,
  { type: 'string' | 'boolean'; multiple?: boolean; short?: string }
>

const parseOptions: ParseOptions = Object.fromEntries(
  allFlags.map((f) => [
    f.name,
    {
      type: f.value === undefined ? 'boolean' : 'string',
      ...(f.multiple === true ? { multiple: true } : {}),
      ...(f.name === 'help' ? { short: 'h' } : {}),
    },
  ]),
)

/**
 * A user id, or a reference that starts with one, whose base64url begins
 * with `-` (one user in 64): an argument, never a flag (no flag is 43
 * characters of `[A-Za-z0-9_-]`).
 */
const dashedId = /^-[A-Za-z0-9_-]{42}(?:\/\S*)?$/

/**
 * Hides arguments that {@link dashedId} matches from `parseArgs` (which
 * would take them for flags) behind placeholders; `restore` maps a parsed
 * value back.
 */
function shieldIds(argv: readonly string[]): {
  args: string[]
  restore: (value: string) => string
} {
  const hidden = new Map<string, string>()
  const args = argv.map((arg) => {
    if (!dashedId.test(arg)) return arg
    const placeholder = `\u0000${hidden.size}`
    hidden.set(placeholder, arg)
    return placeholder
  })
  return { args, restore: (value) => hidden.get(value) ?? value }
}

/** Parses `argv` (without `node` and the script); throws `CliError` (usage) when it is wrong. */
export function parseCommandLine(argv: readonly string[], env: Env): Invocation | HelpRequest {
  const shield = shieldIds(argv)
  let parsed: { values: Record<string, unknown>; positionals: string[] }
  try {
    parsed = parseArgs({
      args: shield.args,
      options: parseOptions,
      strict: true,
      allowPositionals: true,
    })
  } catch (error) {
    throw usageError(describeParseError(error))
  }
  const positionals = parsed.positionals.map(shield.restore)
  const values: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(parsed.values)) {
    values[name] =
      typeof value === 'string'
        ? shield.restore(value)
        : Array.isArray(value)
          ? value.map((v) => (typeof v === 'string' ? shield.restore(v) : v))
          : value
  }
  const { command, rest } = findInvoked(positionals)
  if (command === undefined)
    return values.help === true ? { kind: 'help' } : { kind: 'help', missing: true }
  if (command.name === 'help') {
    if (rest.length === 0) return { kind: 'help' }
    // an unknown topic throws the same usage error as an unknown command
    const topic = findInvoked(rest).command
    return topic === undefined ? { kind: 'help' } : { kind: 'help', command: topic }
  }
  if (values.help === true) return { kind: 'help', command }
  const flags = new Map<string, string | boolean>()
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || commonNames.has(name)) continue
    if (!command.flags.includes(name)) {
      throw usageError(
        `${command.name} does not take --${name} (see feedmesh ${command.name} --help)`,
      )
    }
    flags.set(name, value as string | boolean)
  }
  checkArity(command, rest)
  return { kind: 'run', command, args: rest, flags, options: commonOptions(values, env) }
}

/** The command named by the first one or two positionals, and the remaining positionals. */
function findInvoked(positionals: readonly string[]): {
  command: CommandSpec | undefined
  rest: string[]
} {
  const [first, second] = positionals
  if (first === undefined) return { command: undefined, rest: [] }
  const two = second === undefined ? undefined : findCommand(`${first} ${second}`)
  if (two !== undefined) return { command: two, rest: positionals.slice(2) }
  const one = findCommand(first)
  if (one !== undefined) return { command: one, rest: positionals.slice(1) }
  const group = Commands.filter((c) => c.name.startsWith(`${first} `))
  if (group.length > 0) {
    const subs = group.map((c) => c.name.slice(first.length + 1)).join(', ')
    const what = second === undefined ? 'needs a subcommand' : `has no subcommand "${second}"`
    throw usageError(`${first} ${what}: ${subs} (see feedmesh ${first} --help)`)
  }
  throw usageError(`unknown command "${first}" (see feedmesh --help)`)
}

function checkArity(command: CommandSpec, args: readonly string[]): void {
  const required = command.args.filter((a) => a.optional !== true)
  const usage = `usage: feedmesh ${command.name}${command.args.map((a) => (a.optional === true ? ` [${a.name}]` : ` ${a.name}`)).join('')}`
  if (args.length < required.length) {
    const missing = required[args.length]!.name
    throw usageError(`${command.name}: missing ${missing} (${usage})`)
  }
  if (args.length > command.args.length) {
    const extra = args.slice(command.args.length).join(' ')
    throw usageError(
      `${command.name}: unexpected argument "${extra}" (${usage}; quote text that has spaces)`,
    )
  }
}

function commonOptions(values: Record<string, unknown>, env: Env): CommonOptions {
  const warnings: string[] = []
  const dataGiven = stringValue(values.data) ?? nonEmpty(env.FEEDMESH_CLI_DATA)
  const legacyData = dataGiven === undefined ? nonEmpty(env.FEEDMESH_DATA) : undefined
  if (legacyData !== undefined) {
    warnings.push(
      'FEEDMESH_DATA is deprecated for feedmesh (feedmesh-relay reads it too): set FEEDMESH_CLI_DATA instead',
    )
  }
  const data = path.resolve(dataGiven ?? legacyData ?? path.join(os.homedir(), '.feedmesh'))
  const keyGiven = stringValue(values.key) ?? nonEmpty(env.FEEDMESH_KEY)
  const key = keyGiven === undefined ? path.join(data, 'key') : path.resolve(keyGiven)
  const relayFlags = Array.isArray(values.relay) ? (values.relay as string[]) : []
  const relays =
    relayFlags.length > 0
      ? relayFlags
      : (env.FEEDMESH_RELAY ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
  for (const url of relays) {
    if (!/^wss?:\/\/[^\s/]+/i.test(url)) {
      throw badArgument(`not a relay URL: "${url}" (expected ws://HOST:PORT or wss://HOST)`)
    }
  }
  const timeoutText = stringValue(values.timeout) ?? nonEmpty(env.FEEDMESH_TIMEOUT)
  const timeoutMs = timeoutText === undefined ? DEFAULT_TIMEOUT_MS : Number(timeoutText)
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 3_600_000) {
    throw badArgument(
      `--timeout must be a whole number of ms from 1 to 3600000, got "${timeoutText}"`,
    )
  }
  return {
    data,
    key,
    keyGiven: keyGiven !== undefined,
    relays: [...new Set(relays)],
    timeoutMs,
    json: values.json === true,
    warnings,
  }
}

function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

/** A short message for a `parseArgs` error (its own messages are long). */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown }).code
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1]
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== undefined) {
    return `unknown flag ${option} (see feedmesh --help; put text that starts with "-" after "--")`
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined) {
    const name = option.replace(/^-+/, '')
    const spec = allFlags.find((f) => f.name === name || (name === 'h' && f.name === 'help'))
    return spec?.value === undefined
      ? `--${spec?.name ?? name} takes no value`
      : `--${spec.name} needs a value (${spec.value})`
  }
  return message
}

/** A numeric flag: an integer in [min, max]; throws bad-argument otherwise. */
export function intFlag(
  flags: ReadonlyMap<string, string | boolean>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = flags.get(name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (typeof raw !== 'string' || !Number.isInteger(value) || value < min || value > max) {
    throw badArgument(
      `--${name} must be a whole number from ${min} to ${max}, got "${String(raw)}"`,
    )
  }
  return value
}

/** A string flag, or `undefined` when not given. */
export function stringFlag(
  flags: ReadonlyMap<string, string | boolean>,
  name: string,
): string | undefined {
  const raw = flags.get(name)
  return typeof raw === 'string' ? raw : undefined
}
