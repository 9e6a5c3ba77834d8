/**
 * Hooks for posts: the timeline, one user's posts (both paged, newest
 * first) and a thread (a post with its comments and reactions).
 */
import {
  type FeedClient,
  type PagedLiveQuery,
  type PostRef,
  type PostsView,
  parseRef,
  type ThreadView,
  type UserId,
} from '@feedmesh/core'
import { useCallback, useMemo } from 'react'
import type { LiveState, PagedLiveState } from './liveStates.js'
import { useLiveQuery, useQueryEntry } from './useLiveQuery.js'

/** Options of {@link useTimeline} and {@link usePosts}. */
export interface PostsOptions {
  /** Posts per page (default: the client's, 20). */
  pageSize?: number
}

function usePaged(
  key: string,
  create: (client: FeedClient) => PagedLiveQuery<PostsView>,
): PagedLiveState<PostsView> {
  const [entry, state] = useQueryEntry<PostsView, PagedLiveQuery<PostsView>>(key, create)
  const loadMore = useCallback(() => entry.loadMore(), [entry])
  return useMemo(() => ({ ...state, loadMore }), [state, loadMore])
}

/**
 * This user's and followed users' posts, newest first: the first page, and
 * more with `loadMore`. A post, edit or delete of this client shows in the
 * value before its promise resolves; followed users' posts show as they
 * arrive from relays. Components with the same `pageSize` share one list
 * (and its pages).
 *
 * @example
 * ```tsx
 * function Timeline() {
 *   const { value, loading, loadMore, loadingMore } = useTimeline({ pageSize: 20 })
 *   if (loading && value.posts.length === 0) return <p>Loading…</p>
 *   return (
 *     <>
 *       {value.posts.map((p) => <Post key={p.ref.postId} post={p} />)}
 *       {value.hasMore && <button disabled={loadingMore} onClick={() => void loadMore()}>More</button>}
 *     </>
 *   )
 * }
 * ```
 */
export function useTimeline(options?: PostsOptions): PagedLiveState<PostsView> {
  const pageSize = options?.pageSize
  return usePaged(`feedmesh:timeline:${pageSize ?? ''}`, (client) =>
    client.timeline(pageSize === undefined ? undefined : { pageSize }),
  )
}

/**
 * One user's posts, newest first, paged like {@link useTimeline}. Throws
 * `FeedmeshError` `bad-argument` for a malformed user id.
 *
 * @example
 * ```tsx
 * function UserPosts({ uid }: { uid: UserId }) {
 *   const { value } = usePosts(uid)
 *   return <ul>{value.posts.map((p) => <li key={p.ref.postId}>{p.text}</li>)}</ul>
 * }
 * ```
 */
export function usePosts(uid: UserId, options?: PostsOptions): PagedLiveState<PostsView> {
  const pageSize = options?.pageSize
  return usePaged(`feedmesh:posts:${uid}:${pageSize ?? ''}`, (client) =>
    client.posts(uid, pageSize === undefined ? undefined : { pageSize }),
  )
}

/**
 * A post with its comments and reactions, by reference (`{ author, postId }`,
 * compared by value, or its text form `<uid>/<postId>`). `value.post` is
 * `null` while the post is unknown or deleted. Throws `FeedmeshError`
 * `bad-ref` for a malformed reference.
 *
 * @example
 * ```tsx
 * function Thread({ postRef }: { postRef: PostRef }) {
 *   const { value, loading } = useThread(postRef)
 *   if (value.post === null) return <p>{loading ? 'Loading…' : 'Not found'}</p>
 *   return (
 *     <article>
 *       <p>{value.post.text}</p>
 *       {value.comments.map((c) => <p key={c.ref.commentId}>{c.text}</p>)}
 *     </article>
 *   )
 * }
 * ```
 */
export function useThread(ref: PostRef | string): LiveState<ThreadView> {
  const { author, postId } = typeof ref === 'string' ? parseRef(ref) : ref
  return useLiveQuery(`feedmesh:thread:${author}/${postId}`, (client) =>
    client.thread({ author, postId }),
  )
}
