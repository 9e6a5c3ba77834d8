/**
 * The status bar: the relay in use, online or offline, and the state of
 * this device's writes: "N pending" while the outbox holds writes no relay
 * has acknowledged, "Saved" once everything is acknowledged (after at
 * least one acknowledgement ever), "Up to date" before any write.
 */
import { useSyncStatus } from '@feedmesh/react'
import { type ReactNode, useEffect, useState } from 'react'
import { useApp } from '../appContext.js'
import { everAcked, rememberAcked } from '../identityStore.js'

/** The text of the writes' state (see the module comment). */
export function writesText(pending: number, acked: boolean): string {
  if (pending > 0) return `${pending} pending`
  return acked ? 'Saved' : 'Up to date'
}

/** The status region "Sync status". */
export function StatusBar(): ReactNode {
  const status = useSyncStatus()
  const { relay, identity } = useApp()
  const [acked, setAcked] = useState(() => everAcked(identity.userId))

  useEffect(() => {
    if (status.lastAckAt === undefined || acked) return
    rememberAcked(identity.userId)
    setAcked(true)
  }, [status.lastAckAt, acked, identity.userId])

  const online = status.online
  const pending = status.pending
  return (
    <footer className="status-bar">
      <div role="status" aria-label="Sync status" className="status-bar-inner">
        <span className={online ? 'status-online' : 'status-offline'}>
          <span className="status-dot" aria-hidden="true" />
          {online ? 'Online' : 'Offline'}
        </span>
        <span className="status-relay" title={relay}>
          {relay}
        </span>
        <span className={pending > 0 ? 'status-pending' : 'status-saved'}>
          {writesText(pending, acked || status.lastAckAt !== undefined)}
        </span>
      </div>
    </footer>
  )
}
