/**
 * The client's write methods, bound to it, for components: post, edit,
 * delete, comment, react, follow, block, hide, say, set the profile. Each
 * is the client's own method (see `FeedClient`): the write shows in every
 * live query, and so in every hook, before its promise resolves, and is
 * durable when it resolves; relays get it when online.
 */
import type { FeedClient } from '@feedmesh/core'
import { useFeedClient } from './useFeedClient.js'

/** The names of the client's write methods that {@link FeedActions} holds. */
export const FeedActionNames = [
  'setProfile',
  'post',
  'editPost',
  'deletePost',
  'comment',
  'editComment',
  'deleteComment',
  'react',
  'unreact',
  'follow',
  'unfollow',
  'block',
  'unblock',
  'hide',
  'unhide',
  'say',
] as const

/** One of {@link FeedActionNames}. */
export type FeedActionName = (typeof FeedActionNames)[number]

/** The client's write methods, bound to it (safe to destructure and pass around). */
export type FeedActions = Pick<FeedClient, FeedActionName>

const bound = new WeakMap<FeedClient, FeedActions>()

/**
 * The write methods of `client`, bound to it; the same object for the same
 * client.
 *
 * @example
 * ```ts
 * const { post } = feedActions(client)
 * await post('hello')
 * ```
 */
export function feedActions(client: FeedClient): FeedActions {
  let actions = bound.get(client)
  if (actions === undefined) {
    const entries = FeedActionNames.map((name) => [name, client[name].bind(client)] as const)
    actions = Object.freeze(Object.fromEntries(entries)) as FeedActions
    bound.set(client, actions)
  }
  return actions
}

/**
 * The write methods of the provider's client, bound to it; the object and
 * its functions keep their identity (safe in effect and callback
 * dependencies). Calling the client's methods directly
 * (`useFeedClient().post(...)`) is the same.
 *
 * @example
 * ```tsx
 * function Composer() {
 *   const { post } = useFeedActions()
 *   const [text, setText] = useState('')
 *   return (
 *     <form onSubmit={(e) => { e.preventDefault(); void post(text).then(() => setText('')) }}>
 *       <input value={text} onChange={(e) => setText(e.target.value)} />
 *     </form>
 *   )
 * }
 * ```
 */
export function useFeedActions(): FeedActions {
  return feedActions(useFeedClient())
}
