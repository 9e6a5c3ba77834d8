/**
 * The provider that makes a {@link FeedClient} available to the hooks of
 * the components below it.
 */
import type { FeedClient } from '@feedmesh/core'
import type { ReactNode } from 'react'
import { FeedContext } from './feedContext.js'

/** Props of {@link FeedProvider}. */
export interface FeedProviderProps {
  /** The open client the hooks below read from and write with. */
  client: FeedClient
  /** The app. */
  children?: ReactNode
}

/**
 * Makes `client` available to `useFeedClient` and every feedmesh hook below.
 * The provider does not open or close the client: open it before rendering
 * (`FeedClient.open`) and close it after unmounting the tree. Hooks of
 * every provider of the same client share its live queries.
 *
 * @example
 * ```tsx
 * const client = await FeedClient.open({ identity, storage: await IndexedDbStorage.open() })
 * createRoot(el).render(
 *   <FeedProvider client={client}>
 *     <App />
 *   </FeedProvider>,
 * )
 * ```
 */
export function FeedProvider({ client, children }: FeedProviderProps): ReactNode {
  return <FeedContext value={client}>{children}</FeedContext>
}
