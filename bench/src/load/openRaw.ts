/** Opens a {@link RawConnection} to any of the measured systems. */
import type { Identity } from '@feedmesh/core'
import { openFeedmesh } from './feedmeshRaw.js'
import { openHocuspocus } from './hocuspocusRaw.js'
import type { RawConnection, SystemId } from './rawConnection.js'
import { openYWebsocket } from './yWebsocketRaw.js'

/** Joins `docId` on the `system` server at `url` (feedmesh: as `identity`, or a fresh one). */
export function openRaw(
  system: SystemId,
  url: string,
  docId: string,
  identity?: Identity,
): Promise<RawConnection> {
  switch (system) {
    case 'feedmesh':
      return openFeedmesh(url, docId, identity)
    case 'y-websocket':
      return openYWebsocket(url, docId)
    case 'hocuspocus':
      return openHocuspocus(url, docId)
  }
}
