/** A post's thread: the post, its comments, and the form that comments. */
import { RecordLimits, type UserId } from '@feedmesh/core'
import { useFeedActions, useThread } from '@feedmesh/react'
import { type ReactNode, useId, useState } from 'react'
import { CommentItem } from '../components/CommentItem.js'
import { ErrorText } from '../components/ErrorText.js'
import { PostCard } from '../components/PostCard.js'
import { useAction } from '../useAction.js'

/** Props of {@link ThreadScreen}. */
export interface ThreadScreenProps {
  /** The post's author. */
  author: UserId
  /** The post's id. */
  postId: string
}

/** The thread screen. */
export function ThreadScreen({ author, postId }: ThreadScreenProps): ReactNode {
  const { value, loading } = useThread({ author, postId })
  const { comment } = useFeedActions()
  const { busy, error, run } = useAction()
  const [text, setText] = useState('')
  const inputId = useId()
  const empty = text.trim() === ''

  return (
    <>
      {value.post === null ? (
        <section className="card">
          <h1>Post</h1>
          <p className="empty">
            {loading ? 'Loading…' : 'This post was deleted, or has not arrived yet.'}
          </p>
        </section>
      ) : (
        <PostCard post={value.post} />
      )}
      <section className="thread-comments">
        <h2>Comments</h2>
        {value.comments.length === 0 ? (
          <p className="empty">{loading ? 'Loading…' : 'No comments yet'}</p>
        ) : null}
        <ul aria-label="Comments" className="comment-list">
          {value.comments.map((c) => (
            <CommentItem key={`${c.author}/${c.ref.commentId}`} comment={c} />
          ))}
        </ul>
        <form
          className="card stack"
          onSubmit={(event) => {
            event.preventDefault()
            if (empty || busy) return
            void run(() => comment({ author, postId }, text.trim())).then((ok) => {
              if (ok) setText('')
            })
          }}
        >
          <label htmlFor={inputId}>Write a comment</label>
          <textarea
            id={inputId}
            rows={2}
            maxLength={RecordLimits.commentText}
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
          <ErrorText error={error} />
          <div className="row end">
            <button type="submit" className="primary" disabled={empty || busy}>
              Comment
            </button>
          </div>
        </form>
      </section>
    </>
  )
}
