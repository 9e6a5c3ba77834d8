/**
 * One comment of a thread as a list item: author, time, text; Edit (in
 * place) and Delete on the user's own comments; Hide on others' comments
 * when the user owns the post (a `mod` record in the thread document).
 */
import { type CommentView, RecordLimits, threadDocId } from '@feedmesh/core'
import { useFeedActions, useFeedClient } from '@feedmesh/react'
import { type ReactNode, useState } from 'react'
import { useAction } from '../useAction.js'
import { EditTextForm } from './EditTextForm.js'
import { ErrorText } from './ErrorText.js'
import { RelativeTime } from './RelativeTime.js'
import { UserLink } from './UserName.js'

/** Props of {@link CommentItem}. */
export interface CommentItemProps {
  /** The comment. */
  comment: CommentView
}

/** The comment (see the module comment). */
export function CommentItem({ comment }: CommentItemProps): ReactNode {
  const me = useFeedClient().userId
  const { editComment, deleteComment, hide } = useFeedActions()
  const { busy, error, run } = useAction()
  const [draft, setDraft] = useState<string | null>(null)
  const own = comment.author === me
  const postOwner = comment.ref.post.author === me

  const save = async (text: string) => {
    if (await run(() => editComment(comment.ref, text))) setDraft(null)
  }
  const hideIt = () =>
    run(() =>
      hide(threadDocId(comment.ref.post.author, comment.ref.post.postId), {
        author: comment.author,
        id: comment.ref.commentId,
      }),
    )

  return (
    <li className="comment">
      <div className="comment-header">
        <UserLink userId={comment.author} avatar />
        <span className="meta">
          <RelativeTime at={comment.at} />
        </span>
      </div>
      {draft === null ? (
        <p className="comment-text">{comment.text}</p>
      ) : (
        <EditTextForm
          label="Edit comment"
          draft={draft}
          onDraft={setDraft}
          onSave={(text) => void save(text)}
          onCancel={() => setDraft(null)}
          busy={busy}
          maxLength={RecordLimits.commentText}
          rows={2}
        />
      )}
      <ErrorText error={error} />
      {draft === null && (own || postOwner) && (
        <div className="post-actions">
          {own && (
            <>
              <button type="button" className="action" onClick={() => setDraft(comment.text)}>
                Edit
              </button>
              <button
                type="button"
                className="action danger"
                disabled={busy}
                onClick={() => void run(() => deleteComment(comment.ref))}
              >
                Delete
              </button>
            </>
          )}
          {!own && postOwner && (
            <button
              type="button"
              className="action danger"
              disabled={busy}
              onClick={() => void hideIt()}
            >
              Hide
            </button>
          )}
        </div>
      )}
    </li>
  )
}
