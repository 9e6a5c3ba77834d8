/** What an unknown or malformed link shows. */
import type { ReactNode } from 'react'

/** The not-found screen. */
export function NotFoundScreen(): ReactNode {
  return (
    <section className="card">
      <h1>Page not found</h1>
      <p>This link does not lead anywhere in feedmesh.</p>
      <p>
        <a href="#/feed">Back to the timeline</a>
      </p>
    </section>
  )
}
