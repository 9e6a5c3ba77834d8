/**
 * `feedmesh keygen` and `feedmesh whoami`: the key file, no network and no
 * store. Both print the user id alone on the last stdout line (or one JSON
 * object with `--json`).
 */

import path from 'node:path'
import { Identity } from '@feedmesh/core'
import { stringFlag } from './cliArgs.js'
import { type Handler, printJson } from './commandContext.js'
import { readKey, writeKey } from './keyFile.js'

const keygen: Handler = async ({ inv, io }) => {
  const out = stringFlag(inv.flags, 'out')
  const file = out === undefined ? inv.options.key : path.resolve(out)
  const identity = Identity.generate()
  writeKey(file, identity, inv.flags.get('force') === true)
  io.err(`wrote a new key to ${file} (keep it secret: whoever has it can write as you)`)
  if (inv.options.json) printJson(io, { userId: identity.userId, key: file })
  else io.out(identity.userId)
}

const whoami: Handler = async ({ inv, io }) => {
  const identity = readKey(inv.options.key)
  if (inv.options.json) {
    printJson(io, {
      userId: identity.userId,
      key: inv.options.key,
      data: inv.options.data,
      relays: inv.options.relays,
    })
  } else io.out(identity.userId)
}

/** The key commands by name. */
export const keyCommands: Readonly<Record<string, Handler>> = { keygen, whoami }
