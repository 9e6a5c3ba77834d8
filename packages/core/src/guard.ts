/**
 * The write guard's public entry: {@link checkUpdate} and its rules. The
 * implementation lives in `guard/`: the rules and result shapes
 * (guardRules.ts), safe decoding (decodeGuarded.ts), one item on its own
 * (checkItem.ts), the index of record
 * versions (versionIndex.ts) and the checks themselves (checkUpdate.ts).
 */
export { checkUpdate } from './guard/checkUpdate.js'
export {
  type GuardAccepted,
  type GuardOptions,
  type GuardRefused,
  type GuardResult,
  type GuardRule,
  GuardRules,
} from './guard/guardRules.js'
