/**
 * @feedmesh/relay: the feedmesh relay server. `startRelay` runs one on a
 * port (feedmesh protocol, y-websocket compatibility, health, metrics,
 * static app); the `feedmesh-relay` CLI wraps it. The storage seam
 * (`RelayStore`) and its SQLite implementation are exported for tools and
 * other engines.
 */
export type { ClientInfo, Health } from './httpRoutes.js'
export { createLogger, type LogLevel, LogLevels } from './logger.js'
export type { PeerHealth } from './mesh/PeerStats.js'
export { type Endpoint, Endpoints, RelayMetrics } from './RelayMetrics.js'
export { type RelayErrorCode, RelayErrorCodes } from './relayErrors.js'
export { loadRelayKey, RELAY_KEY_FILE } from './relayKey.js'
export {
  DefaultMeshOptions,
  DefaultRelayLimits,
  DefaultRelayOptions,
  type MeshOptions,
  type RelayLimits,
  type RelayOptions,
  resolveLimits,
  resolveMeshOptions,
} from './relayOptions.js'
export { type Relay, startRelay, Y_PREFIX } from './startRelay.js'
export type {
  ChangePage,
  DocChange,
  PeerCursor,
  RelayStore,
  StoredLog,
  StoreStats,
} from './store/RelayStore.js'
export {
  SqliteStore,
  type SqliteStoreOptions,
  type SyncMode,
  SyncModes,
} from './store/SqliteStore.js'
export { StoreError, type StoreErrorCode, StoreErrorCodes } from './store/storeErrors.js'
export type { StoredChange } from './UpdatePipeline.js'
