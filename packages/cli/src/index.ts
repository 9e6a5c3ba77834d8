/**
 * @feedmesh/cli: the `feedmesh` command-line client (bin `feedmesh`, entry
 * `cli.ts`). Exported for programs that embed it: the command runner, its
 * error type and exit codes, and the SQLite storage adapter it keeps its
 * local store in (usable by any Node `FeedClient`).
 */

export {
  CliError,
  type CliErrorCode,
  CliErrorCodes,
  type ExitCode,
  ExitCodes,
} from './CliError.js'
export type { Env } from './cliArgs.js'
export type { Io } from './commandContext.js'
export { runCli } from './main.js'
export { SqliteStorage, type SqliteStorageOptions, STORE_FILE } from './SqliteStorage.js'
