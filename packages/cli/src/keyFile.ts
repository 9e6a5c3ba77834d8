/**
 * The user's key file: the string of `Identity.export()` on one line, mode
 * 0600. Reading maps every failure to a clear `CliError`; writing refuses to
 * replace an existing file unless forced, and never leaves a half-written
 * key (it writes a temporary file, fsyncs it and renames it into place).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { FeedmeshError, Identity } from '@feedmesh/core'
import { CliError, CliErrorCodes } from './CliError.js'

/** Reads the identity in `file`; throws `no-key` when missing, `failed` when unreadable or damaged. */
export function readKey(file: string): Identity {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(
        CliErrorCodes.NoKey,
        `no key at ${file}: create one with \`feedmesh keygen\` (or pass --key FILE)`,
      )
    }
    throw new CliError(CliErrorCodes.Failed, `cannot read the key ${file}: ${message(error)}`)
  }
  try {
    return Identity.import(text)
  } catch (error) {
    if (error instanceof FeedmeshError) {
      throw new CliError(CliErrorCodes.Failed, `${file} is not a feedmesh key: ${error.message}`)
    }
    throw error
  }
}

/**
 * Writes `identity` to `file` (creating its directory, mode 0700); throws
 * `key-exists` when the file exists and `force` is false.
 */
export function writeKey(file: string, identity: Identity, force: boolean): void {
  if (!force && fs.existsSync(file)) {
    throw new CliError(
      CliErrorCodes.KeyExists,
      `${file} already exists: refusing to overwrite a key (pass --force to replace it, or --out FILE)`,
    )
  }
  const dir = path.dirname(file)
  const temp = path.join(dir, `.${path.basename(file)}.${crypto.randomUUID()}.tmp`)
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    const fd = fs.openSync(temp, 'wx', 0o600)
    try {
      fs.writeSync(fd, `${identity.export()}\n`)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    if (force) fs.renameSync(temp, file)
    else {
      // link fails when the file appeared meanwhile: never replace a key by accident
      fs.linkSync(temp, file)
      fs.unlinkSync(temp)
    }
  } catch (error) {
    fs.rmSync(temp, { force: true })
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(
        CliErrorCodes.KeyExists,
        `${file} already exists: refusing to overwrite a key`,
      )
    }
    throw new CliError(CliErrorCodes.Failed, `cannot write the key ${file}: ${message(error)}`)
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
