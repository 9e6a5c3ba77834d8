/**
 * Help texts of `feedmesh`, made from the command and flag tables of
 * `commandSpecs.ts`: the overview (`feedmesh --help`) and one page per
 * command (`feedmesh post --help`, `feedmesh help post`), each with examples.
 */
import { type CommandSpec, Commands, CommonFlags, type FlagSpec, findFlag } from './commandSpecs.js'

/** `feedmesh post TEXT [--reply-to REF] [--no-wait]` */
export function usageLine(command: CommandSpec): string {
  const args = command.args.map((a) => (a.optional === true ? ` [${a.name}]` : ` ${a.name}`))
  const flags = command.flags.map((name) => {
    const spec = findFlag(name)
    return spec?.value === undefined ? ` [--${name}]` : ` [--${name} ${spec.value}]`
  })
  return `feedmesh ${command.name}${args.join('')}${flags.join('')}`
}

function flagLines(flags: readonly FlagSpec[]): string[] {
  const left = flags.map((f) => `  --${f.name}${f.value === undefined ? '' : ` ${f.value}`}`)
  const width = Math.max(...left.map((l) => l.length)) + 2
  return flags.map((f, i) => {
    const env = f.env === undefined ? '' : ` [env ${f.env}]`
    return `${left[i]!.padEnd(width)}${f.help}${env}`
  })
}

/** The overview: every command and the common flags, with examples. */
export function overviewHelp(): string {
  const width = Math.max(...Commands.map((c) => c.name.length + argText(c).length)) + 4
  const lines = [
    'feedmesh: a command-line client of feedmesh, a local-first social feed on Yjs.',
    'Writes land in a local store first (--data) and reach the relays (--relay);',
    'reads wait until the relays answered, so they show what the relays hold.',
    '',
    'Usage: feedmesh COMMAND [ARGS] [FLAGS]',
    '',
    'Commands:',
    ...Commands.map((c) => `  ${(c.name + argText(c)).padEnd(width)}${c.summary}`),
    '',
    'Flags of every command:',
    ...flagLines(CommonFlags),
    '',
    'REF is a post reference <uid>/<postId> (printed by `feedmesh post`); CREF a comment',
    'reference <uid>/<postId>/<uid>/<commentId> (printed by `feedmesh comment`), which',
    '`edit` and `delete` take too; UID a user id (printed by `feedmesh keygen` and',
    '`feedmesh whoami`); ROOM <owner-uid>/<room>.',
    '',
    'Examples:',
    '  export FEEDMESH_RELAY=ws://127.0.0.1:8787',
    '  feedmesh keygen',
    '  ref=$(feedmesh post "hello, mesh" | tail -n 1)',
    '  feedmesh --data ~/.feedmesh-bob keygen',
    '  feedmesh --data ~/.feedmesh-bob comment "$ref" "hi alice"',
    '  feedmesh thread "$ref" --json',
    '',
    'Exit codes: 0 done, 1 failed (relay unreachable, refused, not found ...), 2 bad command line.',
    'Run `feedmesh COMMAND --help` for the flags and examples of one command.',
  ]
  return `${lines.join('\n')}\n`
}

function argText(c: CommandSpec): string {
  return c.args.map((a) => (a.optional === true ? ` [${a.name}]` : ` ${a.name}`)).join('')
}

/** The help page of one command. */
export function commandHelp(command: CommandSpec): string {
  const own = command.flags.map((name) => findFlag(name)).filter((f) => f !== undefined)
  const lines = [`Usage: ${usageLine(command)}`, '', command.summary]
  if (command.details !== undefined) lines.push('', command.details)
  if (own.length > 0) lines.push('', 'Flags:', ...flagLines(own))
  lines.push('', 'Flags of every command:', ...flagLines(CommonFlags))
  lines.push('', 'Examples:', ...command.examples.map((e) => `  feedmesh ${e}`))
  return `${lines.join('\n')}\n`
}
