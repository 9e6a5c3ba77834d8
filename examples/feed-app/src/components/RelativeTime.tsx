/** A `<time>` that shows how long ago something happened, kept current. */
import { type ReactNode, useEffect, useState } from 'react'
import { timeAgo } from '../timeAgo.js'

/** Props of {@link RelativeTime}. */
export interface RelativeTimeProps {
  /** The time, in ms since the epoch. */
  at: number
}

/** "5 min ago", refreshed every 30 s; the full date in its title. */
export function RelativeTime({ at }: RelativeTimeProps): ReactNode {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000)
    return () => clearInterval(timer)
  }, [])
  const date = new Date(at)
  return (
    <time className="time" dateTime={date.toISOString()} title={date.toLocaleString()}>
      {timeAgo(at, now)}
    </time>
  )
}
