/**
 * The "Like" toggle of a post: pressed when this user liked it, with the
 * post's like count. A like is a reaction record in the post's thread.
 */
import type { PostView } from '@feedmesh/core'
import { useFeedActions, useThread } from '@feedmesh/react'
import { type ReactNode, useId } from 'react'
import { useAction } from '../useAction.js'

/** The reaction a like writes. */
export const LIKE = '❤️'

/** Props of {@link LikeButton}. */
export interface LikeButtonProps {
  /** The post. */
  post: PostView
}

/** The toggle (see the module comment). */
export function LikeButton({ post }: LikeButtonProps): ReactNode {
  const thread = useThread(post.ref)
  const { react, unreact } = useFeedActions()
  const { busy, run } = useAction()
  const countId = useId()
  const liked = thread.value.myReactions.includes(LIKE)
  const count = thread.loading
    ? (post.reactions[LIKE] ?? 0)
    : (thread.value.reactions[LIKE] ?? post.reactions[LIKE] ?? 0)
  const toggle = () => run(() => (liked ? unreact(post.ref, LIKE) : react(post.ref, LIKE)))
  return (
    <>
      <button
        type="button"
        className={liked ? 'action like liked' : 'action like'}
        aria-pressed={liked}
        aria-describedby={countId}
        disabled={busy}
        onClick={() => void toggle()}
      >
        <span aria-hidden="true">{liked ? '♥' : '♡'}</span> Like{' '}
        <span className="count" aria-hidden="true">
          {count}
        </span>
      </button>
      <span id={countId} className="visually-hidden">
        {count === 1 ? '1 like' : `${count} likes`}
      </span>
    </>
  )
}
