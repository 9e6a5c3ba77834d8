/** What the hooks return: a live query's value with its loading flags. */
import type { PresenceState, PresenceView } from '@feedmesh/core'

/**
 * A live query's current value. Hooks render at once with what is loaded
 * so far (`value` is then partial, e.g. an empty list) and `loading` true;
 * `loading` turns false once the query's documents are loaded from storage
 * and verified (its `ready`). The object keeps its identity until something
 * in it changes.
 *
 * @example
 * ```tsx
 * const { value: profile, loading } = useProfile(uid)
 * if (loading) return <Spinner />
 * return <h1>{profile.name ?? 'anonymous'}</h1>
 * ```
 */
export interface LiveState<T> {
  /** The query's current value (partial while `loading`). */
  readonly value: T
  /** True until the query's documents are loaded and verified. */
  readonly loading: boolean
  /** Why loading failed, if it did (`loading` is then false). */
  readonly error?: unknown
}

/**
 * A paged list (timeline, a user's posts): a {@link LiveState} plus
 * `loadMore` for the next, older page.
 *
 * @example
 * ```tsx
 * const { value, loadMore, loadingMore } = useTimeline()
 * return value.hasMore && (
 *   <button disabled={loadingMore} onClick={() => void loadMore()}>Older posts</button>
 * )
 * ```
 */
export interface PagedLiveState<T> extends LiveState<T> {
  /** True while a `loadMore` is in flight. */
  readonly loadingMore: boolean
  /** Extends the list by one page; resolves when it is loaded. Stable across renders. */
  readonly loadMore: () => Promise<void>
}

/**
 * Presence in a room: who is there (`value.peers`), this client's own state
 * (`value.self`), and `set` to change it.
 *
 * @example
 * ```tsx
 * const { value, set } = usePresence(room, { typing: false })
 * const typing = value.peers.filter((p) => p.state.typing === true)
 * return <input onFocus={() => set({ typing: true })} onBlur={() => set({ typing: false })} />
 * ```
 */
export interface LivePresence extends LiveState<PresenceView> {
  /**
   * Sets this client's state (`user` is added); `null` hides this client.
   * Stable across renders.
   */
  readonly set: (state: PresenceState | null) => void
}
