/**
 * The React context that carries the {@link FeedClient} from a
 * `FeedProvider` to the hooks below it.
 */
import type { FeedClient } from '@feedmesh/core'
import { createContext } from 'react'

/**
 * The client of the nearest `FeedProvider`, or `null` outside any. Apps
 * use `FeedProvider` and `useFeedClient` rather than this context.
 *
 * @example
 * ```tsx
 * const client = useContext(FeedContext) // null outside a <FeedProvider>
 * ```
 */
export const FeedContext = createContext<FeedClient | null>(null)
FeedContext.displayName = 'FeedContext'
