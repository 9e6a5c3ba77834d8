/** The hook that follows the client's synchronisation with relays. */
import type { LiveQuery, SyncStatus } from '@feedmesh/core'
import { useQueryEntry } from './useLiveQuery.js'

/**
 * The client's sync status: online or not, the relay in use, writes not
 * yet acknowledged (`pending`), whether reads show what the relay holds
 * (`synced`), the last relay error. Known at once, so it has no loading
 * flag; the object keeps its identity until the status changes.
 *
 * @example
 * ```tsx
 * function StatusBar() {
 *   const { online, relay, pending } = useSyncStatus()
 *   return (
 *     <footer>
 *       {online ? `connected to ${relay}` : 'offline'} · {pending > 0 ? `${pending} pending` : 'saved'}
 *     </footer>
 *   )
 * }
 * ```
 */
export function useSyncStatus(): SyncStatus {
  return useQueryEntry<SyncStatus, LiveQuery<SyncStatus>>('feedmesh:sync', (client) =>
    client.syncStatus(),
  )[1].value
}
