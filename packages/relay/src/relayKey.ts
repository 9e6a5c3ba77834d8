/**
 * The relay's own Ed25519 key, kept in `<data>/relay.key` in the export
 * format of core's `Identity` (`feedmesh-key-v1:...`), created on first use
 * with file mode 0600. The relay signs nothing with it yet; its public key
 * is the relay id clients sign their `AUTH` for, and the key peers trust.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Identity } from '@feedmesh/core'

/** Name of the key file inside the data directory. */
export const RELAY_KEY_FILE = 'relay.key'

/**
 * Loads the relay's identity from `<dataDir>/relay.key`, creating the
 * directory and a new key (mode 0600) when missing. Throws when the file
 * exists but does not hold an exported identity.
 */
export function loadRelayKey(dataDir: string): Identity {
  fs.mkdirSync(dataDir, { recursive: true })
  const file = path.join(dataDir, RELAY_KEY_FILE)
  try {
    return Identity.import(fs.readFileSync(file, 'utf8'))
  } catch (error) {
    if (!isNotFound(error)) throw new Error(`cannot read the relay key ${file}: ${String(error)}`)
  }
  const identity = Identity.generate()
  try {
    fs.writeFileSync(file, `${identity.export()}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    // another process created it first: use theirs
    if (isExists(error)) return Identity.import(fs.readFileSync(file, 'utf8'))
    throw error
  }
  return identity
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT'
}

function isExists(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EEXIST'
}
