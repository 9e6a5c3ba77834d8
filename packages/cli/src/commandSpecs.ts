/**
 * The command line of `feedmesh` as data: every flag (with its environment
 * variable) and every command (arguments, flags, summary, examples). The
 * parser (`cliArgs.ts`) and the help texts (`help.ts`) are both made from
 * these tables, so they cannot disagree.
 */

/** One flag. */
export interface FlagSpec {
  /** The long flag, without `--`. */
  name: string
  /** Placeholder of its value; absent for a boolean flag. */
  value?: string
  /** May be given several times (values accumulate). */
  multiple?: boolean
  /** Its environment variable, when it has one. */
  env?: string
  /** One help line. */
  help: string
}

/** Flags every command accepts. */
export const CommonFlags: readonly FlagSpec[] = [
  {
    name: 'data',
    value: 'DIR',
    env: 'FEEDMESH_CLI_DATA',
    help: 'local store and default key location (default ~/.feedmesh)',
  },
  {
    name: 'key',
    value: 'FILE',
    env: 'FEEDMESH_KEY',
    help: 'key file of the user (default <data>/key)',
  },
  {
    name: 'relay',
    value: 'URL',
    multiple: true,
    env: 'FEEDMESH_RELAY',
    help: 'relay WebSocket URL, repeatable, most preferred first (env: comma separated)',
  },
  {
    name: 'timeout',
    value: 'MS',
    env: 'FEEDMESH_TIMEOUT',
    help: 'how long to wait for relays to answer or acknowledge (default 10000)',
  },
  { name: 'json', help: 'print JSON instead of text' },
  { name: 'help', help: 'show help for the command' },
]

/** Flags only some commands accept. */
export const CommandFlags: readonly FlagSpec[] = [
  { name: 'out', value: 'FILE', help: 'where to write the new key (default: --key)' },
  { name: 'force', help: 'overwrite an existing key file' },
  { name: 'name', value: 'NAME', help: 'display name' },
  { name: 'bio', value: 'TEXT', help: 'short bio' },
  { name: 'avatar', value: 'URL', help: 'avatar URL' },
  { name: 'reply-to', value: 'REF', help: 'the post this one answers (<uid>/<postId>)' },
  {
    name: 'no-wait',
    help: 'store locally and exit without waiting for a relay (sent by a later command)',
  },
  { name: 'limit', value: 'N', help: 'how many posts (1-1000, default 20)' },
]

/** A positional argument. */
export interface ArgSpec {
  /** Placeholder, e.g. `REF`. */
  name: string
  /** May be left out. */
  optional?: boolean
}

/** One command. */
export interface CommandSpec {
  /** The command words, e.g. `post` or `profile set`. */
  name: string
  /** Positional arguments, in order. */
  args: readonly ArgSpec[]
  /** Names of the command's own flags (from {@link CommandFlags}). */
  flags: readonly string[]
  /** One line for the command list. */
  summary: string
  /** More help text (paragraph). */
  details?: string
  /** Example invocations (without the leading `feedmesh`). */
  examples: readonly string[]
}

const write = ['no-wait']
const waitDetails =
  'Exits 0 once a relay acknowledged the write as durable; with --no-wait it only stores the write locally (a later command sends it).'

/** Every command, in help order. */
export const Commands: readonly CommandSpec[] = [
  {
    name: 'keygen',
    args: [],
    flags: ['out', 'force'],
    summary: 'create a key pair; prints the user id',
    details:
      'Writes the secret key to --out (default --key, i.e. <data>/key) with mode 0600 and prints the new user id alone on the last line. Refuses to overwrite an existing file unless --force.',
    examples: ['keygen', 'keygen --out ./bot.key', 'keygen --data /tmp/alice'],
  },
  {
    name: 'whoami',
    args: [],
    flags: [],
    summary: 'print the user id of the key',
    examples: ['whoami', 'whoami --key ./bot.key --json'],
  },
  {
    name: 'profile set',
    args: [],
    flags: ['name', 'bio', 'avatar', ...write],
    summary: 'set your display name, bio or avatar',
    details: `Fields not given keep their current value. ${waitDetails}`,
    examples: ['profile set --name Alice --bio "Writes about CRDTs"', 'profile set --bio ""'],
  },
  {
    name: 'profile show',
    args: [{ name: 'UID', optional: true }],
    flags: [],
    summary: "show a user's profile (default: yours)",
    examples: ['profile show', 'profile show <uid> --json'],
  },
  {
    name: 'post',
    args: [{ name: 'TEXT' }],
    flags: ['reply-to', ...write],
    summary: 'publish a post; prints its ref <uid>/<postId>',
    details: `TEXT "-" reads the text from stdin. The ref is printed alone on the last line. ${waitDetails}`,
    examples: [
      'post "hello, mesh"',
      'post - < message.txt',
      'post "offline draft" --no-wait',
      'post "I agree" --reply-to <uid>/<postId>',
    ],
  },
  {
    name: 'edit',
    args: [{ name: 'REF' }, { name: 'TEXT' }],
    flags: [...write],
    summary: 'replace the text of one of your posts or comments',
    details: `REF is a post <uid>/<postId> or a comment <uid>/<postId>/<uid>/<commentId> (as printed by \`feedmesh comment\` and \`feedmesh thread\`). TEXT "-" reads the text from stdin. ${waitDetails}`,
    examples: [
      'edit <uid>/<postId> "hello, mesh (edited)"',
      'edit <uid>/<postId>/<uid>/<commentId> "nice one!"',
    ],
  },
  {
    name: 'delete',
    args: [{ name: 'REF' }],
    flags: [...write],
    summary: 'delete one of your posts or comments',
    details: `REF is a post or a comment, as for edit. ${waitDetails}`,
    examples: ['delete <uid>/<postId>', 'delete <uid>/<postId>/<uid>/<commentId>'],
  },
  {
    name: 'comment',
    args: [{ name: 'REF' }, { name: 'TEXT' }],
    flags: [...write],
    summary: 'comment on a post; prints the comment ref',
    details: waitDetails,
    examples: ['comment <uid>/<postId> "nice one"'],
  },
  {
    name: 'react',
    args: [{ name: 'REF' }, { name: 'EMOJI' }],
    flags: [...write],
    summary: 'react to a post with an emoji',
    details: waitDetails,
    examples: ['react <uid>/<postId> 👍'],
  },
  {
    name: 'unreact',
    args: [{ name: 'REF' }, { name: 'EMOJI' }],
    flags: [...write],
    summary: 'take back your reaction to a post',
    details: `Exits 0 also when you had not reacted with EMOJI (stderr says so; --json: "unreacted": false). ${waitDetails}`,
    examples: ['unreact <uid>/<postId> 👍'],
  },
  {
    name: 'hide',
    args: [{ name: 'CREF' }],
    flags: [...write],
    summary: 'hide a comment on one of your posts from every reader',
    details: `CREF is a comment <uid>/<postId>/<uid>/<commentId> on a post of yours. The comment stays stored (unhide shows it again) but readers leave it out of the thread and its count. ${waitDetails}`,
    examples: ['hide <uid>/<postId>/<uid>/<commentId>'],
  },
  {
    name: 'unhide',
    args: [{ name: 'CREF' }],
    flags: [...write],
    summary: 'show a comment you hid again',
    details: waitDetails,
    examples: ['unhide <uid>/<postId>/<uid>/<commentId>'],
  },
  {
    name: 'follow',
    args: [{ name: 'UID' }],
    flags: [...write],
    summary: 'follow a user (their posts join your timeline)',
    details: waitDetails,
    examples: ['follow <uid>'],
  },
  {
    name: 'unfollow',
    args: [{ name: 'UID' }],
    flags: [...write],
    summary: 'stop following a user',
    details: waitDetails,
    examples: ['unfollow <uid>'],
  },
  {
    name: 'block',
    args: [{ name: 'UID' }],
    flags: [...write],
    summary: 'block a user in your threads, rooms and followers',
    details: waitDetails,
    examples: ['block <uid>'],
  },
  {
    name: 'unblock',
    args: [{ name: 'UID' }],
    flags: [...write],
    summary: 'unblock a user',
    details: waitDetails,
    examples: ['unblock <uid>'],
  },
  {
    name: 'say',
    args: [{ name: 'ROOM' }, { name: 'TEXT' }],
    flags: [...write],
    summary: 'say something in a chat room',
    details: `ROOM is <owner-uid>/<room>, or just <room> for a room of your own. ${waitDetails}`,
    examples: ['say lobby "hi all"', 'say <uid>/lobby "hi all"'],
  },
  {
    name: 'posts',
    args: [{ name: 'UID' }],
    flags: ['limit'],
    summary: "list a user's posts, newest first",
    details:
      'UID "me" is you. Waits until the relays answered, so an empty --data shows what the relays hold.',
    examples: ['posts <uid>', 'posts me --limit 5 --json'],
  },
  {
    name: 'timeline',
    args: [],
    flags: ['limit'],
    summary: 'your posts and those of everyone you follow, newest first',
    examples: ['timeline', 'timeline --limit 50 --json'],
  },
  {
    name: 'thread',
    args: [{ name: 'REF' }],
    flags: [],
    summary: 'a post with its comments and reactions',
    details:
      'With --json: an array, the post first (kind "post"), then its comments oldest first (kind "comment").',
    examples: ['thread <uid>/<postId>', 'thread <uid>/<postId> --json'],
  },
  {
    name: 'followers',
    args: [{ name: 'UID', optional: true }],
    flags: [],
    summary: 'who follows a user (default: you)',
    examples: ['followers', 'followers <uid> --json'],
  },
  {
    name: 'following',
    args: [{ name: 'UID', optional: true }],
    flags: [],
    summary: 'whom a user follows (default: you)',
    examples: ['following', 'following <uid> --json'],
  },
  {
    name: 'room',
    args: [{ name: 'ROOM' }],
    flags: [],
    summary: "a chat room's messages, oldest first",
    examples: ['room lobby', 'room <uid>/lobby --json'],
  },
  {
    name: 'watch',
    args: [],
    flags: ['limit'],
    summary: 'print your timeline, then new posts as they arrive (until Ctrl-C)',
    details:
      'Prints the latest --limit posts oldest first, then every new or edited post. With --json, one JSON object per line. Stops on SIGINT or SIGTERM (exit 0).',
    examples: ['watch', 'watch --json | jq -r .text'],
  },
  {
    name: 'sync',
    args: [],
    flags: [],
    summary: 'send writes stored locally (e.g. made with --no-wait) and wait for the acks',
    examples: ['sync --relay wss://relay.example'],
  },
  {
    name: 'help',
    args: [{ name: 'COMMAND', optional: true }],
    flags: [],
    summary: 'show help for all commands or one',
    examples: ['help', 'help post'],
  },
]

/** A command by its words (`post`, `profile set`), or `undefined`. */
export function findCommand(name: string): CommandSpec | undefined {
  return Commands.find((c) => c.name === name)
}

/** A flag of either table by name, or `undefined`. */
export function findFlag(name: string): FlagSpec | undefined {
  return CommonFlags.find((f) => f.name === name) ?? CommandFlags.find((f) => f.name === name)
}
