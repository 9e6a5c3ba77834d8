/** The hook that returns the client of the nearest `FeedProvider`. */
import { ErrorCodes, type FeedClient, FeedmeshError } from '@feedmesh/core'
import { useContext } from 'react'
import { FeedContext } from './feedContext.js'

/**
 * The client of the nearest `FeedProvider`. Throws `FeedmeshError`
 * `bad-argument` when there is none.
 *
 * @example
 * ```tsx
 * function Me() {
 *   const client = useFeedClient()
 *   return <code>{client.userId}</code>
 * }
 * ```
 */
export function useFeedClient(): FeedClient {
  const client = useContext(FeedContext)
  if (client === null) {
    throw new FeedmeshError(
      ErrorCodes.BadArgument,
      'feedmesh hooks need a <FeedProvider client={...}> above the component',
    )
  }
  return client
}
