/** A paged list of posts, newest first, with "Load older" while more may exist. */
import type { PostsView } from '@feedmesh/core'
import type { PagedLiveState } from '@feedmesh/react'
import type { ReactNode } from 'react'
import { PostCard } from './PostCard.js'

/** Props of {@link PostList}. */
export interface PostListProps {
  /** The live list (the timeline, or a user's posts). */
  list: PagedLiveState<PostsView>
  /** What to say when the list is empty. */
  empty?: string
}

/** The posts and the "Load older" button. */
export function PostList({ list, empty = 'No posts yet' }: PostListProps): ReactNode {
  const { value, loading, loadingMore, loadMore } = list
  if (value.posts.length === 0) {
    return <p className="empty">{loading ? 'Loading…' : empty}</p>
  }
  return (
    <div className="post-list">
      {value.posts.map((post) => (
        <PostCard key={`${post.ref.author}/${post.ref.postId}`} post={post} />
      ))}
      {value.hasMore && (
        <button
          type="button"
          className="load-more"
          aria-busy={loadingMore}
          onClick={() => {
            if (!loadingMore) void loadMore()
          }}
        >
          Load older
        </button>
      )}
    </div>
  )
}
