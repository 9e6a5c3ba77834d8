/**
 * One post as an `article`: author (avatar, name linking to the profile),
 * time, text, the Like toggle, the comment count linking to the thread,
 * and for the user's own posts Edit (in place) and Delete.
 */
import { type PostView, RecordLimits } from '@feedmesh/core'
import { useFeedActions, useFeedClient, useProfile } from '@feedmesh/react'
import { type ReactNode, useState } from 'react'
import { profileHref, threadHref } from '../routes.js'
import { useAction } from '../useAction.js'
import { Avatar } from './Avatar.js'
import { CommentIcon } from './CommentIcon.js'
import { EditTextForm } from './EditTextForm.js'
import { ErrorText } from './ErrorText.js'
import { LikeButton } from './LikeButton.js'
import { RelativeTime } from './RelativeTime.js'
import { fallbackName } from './UserName.js'

/** Props of {@link PostCard}. */
export interface PostCardProps {
  /** The post. */
  post: PostView
}

/** The post's card (see the module comment). */
export function PostCard({ post }: PostCardProps): ReactNode {
  const me = useFeedClient().userId
  const profile = useProfile(post.author).value
  const { editPost, deletePost } = useFeedActions()
  const { busy, error, run } = useAction()
  const [draft, setDraft] = useState<string | null>(null)
  const own = post.author === me
  const name = profile.name ?? fallbackName(post.author)
  const comments = post.comments === 1 ? '1 comment' : `${post.comments} comments`

  const save = async (text: string) => {
    if (await run(() => editPost(post.ref, text))) setDraft(null)
  }

  return (
    <article className="card post">
      <header className="post-header">
        <Avatar userId={post.author} name={profile.name} />
        <div className="post-meta">
          <a className="user-link" href={profileHref(post.author)}>
            {name}
          </a>
          <span className="meta">
            <RelativeTime at={post.at} />
            {post.editedAt !== undefined && <span> · edited</span>}
          </span>
        </div>
      </header>
      {draft === null ? (
        <p className="post-text">{post.text}</p>
      ) : (
        <EditTextForm
          label="Edit post"
          draft={draft}
          onDraft={setDraft}
          onSave={(text) => void save(text)}
          onCancel={() => setDraft(null)}
          busy={busy}
          maxLength={RecordLimits.postText}
          rows={3}
        />
      )}
      <ErrorText error={error} />
      <footer className="post-actions">
        <LikeButton post={post} />
        <a className="action" href={threadHref(post.ref)}>
          <CommentIcon />
          {comments}
        </a>
        {own && draft === null && (
          <span className="own-actions">
            <button type="button" className="action" onClick={() => setDraft(post.text)}>
              Edit
            </button>
            <button
              type="button"
              className="action danger"
              disabled={busy}
              onClick={() => void run(() => deletePost(post.ref))}
            >
              Delete
            </button>
          </span>
        )}
      </footer>
    </article>
  )
}
