/**
 * How every write command runs ({@link runWrite}), and the checks the write
 * commands share: text arguments against their record limits, a post that
 * must exist, a record that must be the user's own.
 *
 * A write:
 * 1. opens the documents the write reads or supersedes (through live
 *    queries) and catches up on them with the relay, so a version written
 *    elsewhere is superseded rather than shadowed, and an edit from an
 *    empty store finds its post (`--no-wait`: local state only);
 * 2. writes through the {@link FeedClient} (stored locally with its outbox
 *    entry before it resolves) and prints the result: the new ref alone on
 *    the last stdout line, or one JSON object with `--json`;
 * 3. waits until a relay acknowledged it as durable (`--no-wait`: skips
 *    that and says on stderr that it is stored locally only).
 */
import {
  type FeedClient,
  formatRef,
  type LiveQuery,
  type PostRef,
  type ThreadView,
  type UserId,
} from '@feedmesh/core'
import { badArgument, CliError, CliErrorCodes } from './CliError.js'
import { type CommandContext, printJson, withSession } from './commandContext.js'
import type { Session } from './Session.js'

/** What a write prints: a text line (absent: nothing on stdout), its JSON, and a note for stderr. */
export interface WriteResult {
  /** The line for stdout (a new ref), if any. */
  text?: string
  /** What `--json` prints. */
  json: Record<string, unknown>
  /** What was done, for stderr (followed by how far it got). */
  note: string
}

/**
 * Runs one write (see the module comment): `open` returns the queries of
 * the documents to catch up on, `write` does the write once they are
 * current.
 */
export async function runWrite(
  ctx: CommandContext,
  open: (client: FeedClient, me: UserId) => LiveQuery<unknown>[],
  write: (session: Session) => Promise<WriteResult>,
): Promise<void> {
  const { io, inv } = ctx
  const noWait = isNoWait(ctx)
  await withSession(ctx, async (session) => {
    const queries = open(session.client, session.identity.userId)
    try {
      if (noWait) await session.client.settled()
      else await catchUpBeforeWrite(session)
      const result = await write(session)
      if (inv.options.json) printJson(io, result.json)
      else if (result.text !== undefined) io.out(result.text)
      if (noWait) {
        const where = session.hasRelays ? '' : ' (no relay configured)'
        io.err(
          `${result.note}: stored in ${inv.options.data} only${where}; a later command with a relay sends it`,
        )
        return
      }
      await session.acknowledged()
      io.err(`${result.note}: acknowledged by ${session.status.relay ?? 'the relay'}`)
    } finally {
      for (const q of queries) q.close()
    }
  })
}

/** True when the command was given `--no-wait`. */
export function isNoWait(ctx: CommandContext): boolean {
  return ctx.inv.flags.get('no-wait') === true
}

async function catchUpBeforeWrite(session: Session): Promise<void> {
  try {
    await session.catchUp()
  } catch (error) {
    if (error instanceof CliError && error.code === CliErrorCodes.Timeout) {
      throw new CliError(
        error.code,
        `${error.message}; nothing was written (pass --no-wait to store the write locally and send it later)`,
      )
    }
    throw error
  }
}

/** Checks a text argument against its record limit; `-` reads stdin. */
export async function textArg(
  ctx: CommandContext,
  raw: string,
  max: number,
  what: string,
): Promise<string> {
  const text = raw === '-' ? (await ctx.io.readStdin()).replace(/\r?\n$/, '') : raw
  if (text.trim() === '') throw badArgument(`${what} is empty`)
  if (text.length > max) {
    throw badArgument(`${what} has ${text.length} characters; at most ${max} fit`)
  }
  return text
}

/** A `not-found` failure for something deleted or unknown to this device and the relays. */
export function notFound(what: string): CliError {
  return new CliError(
    CliErrorCodes.NotFound,
    `${what} not found: it was deleted, or neither this device nor the relays have it`,
  )
}

/** Fails with `not-found` when a caught-up thread has no post. */
export function requirePost(thread: ThreadView, ref: PostRef): void {
  if (thread.post === null) throw notFound(`post ${formatRef(ref)}`)
}

/** Fails unless `author` is the key's user: only the author of a post or comment may `verb` it. */
export function requireOwn(
  author: UserId,
  me: UserId,
  ref: string,
  kind: 'post' | 'comment',
  verb: string,
): void {
  if (author !== me) {
    throw new CliError(
      CliErrorCodes.Failed,
      `${ref} is not your ${kind}: only its author can ${verb} it`,
    )
  }
}
