/**
 * A user's profile: name, bio, full user id, Follow/Unfollow (others) or
 * Edit profile (own), Copy link, and the user's posts, followers and
 * following.
 */
import type { UserId } from '@feedmesh/core'
import {
  useFeedActions,
  useFeedClient,
  useFollowers,
  useFollowing,
  usePosts,
  useProfile,
} from '@feedmesh/react'
import { type ReactNode, useState } from 'react'
import { copyText } from '../clipboard.js'
import { Avatar } from '../components/Avatar.js'
import { ErrorText } from '../components/ErrorText.js'
import { PostList } from '../components/PostList.js'
import { ProfileEditor } from '../components/ProfileEditor.js'
import { UserList } from '../components/UserList.js'
import { profileLink } from '../routes.js'
import { useAction } from '../useAction.js'

/** Props of {@link ProfileScreen}. */
export interface ProfileScreenProps {
  /** The user shown. */
  userId: UserId
}

/** The profile screen. */
export function ProfileScreen({ userId }: ProfileScreenProps): ReactNode {
  const me = useFeedClient().userId
  const own = userId === me
  const { value: profile } = useProfile(userId)
  const { value: myFollowing } = useFollowing(me)
  const { value: followers, loading: followersLoading } = useFollowers(userId)
  const { value: following, loading: followingLoading } = useFollowing(userId)
  const posts = usePosts(userId)
  const { follow, unfollow } = useFeedActions()
  const { busy, error, run } = useAction()
  const [editing, setEditing] = useState(false)
  const [copied, setCopied] = useState<string | null>(null)
  const followed = myFollowing.includes(userId)

  const copyLink = async () => {
    const link = profileLink(userId)
    setCopied((await copyText(link)) ? 'Link copied' : `Copy this link: ${link}`)
  }

  return (
    <>
      <section className="card profile">
        <div className="profile-header">
          <Avatar userId={userId} name={profile.name} large />
          <div className="grow">
            <h1>{profile.name ?? 'Unknown user'}</h1>
            <p className="meta">
              {profile.followers} followers · {profile.following} following
            </p>
          </div>
        </div>
        {profile.bio !== undefined && profile.bio !== '' && <p className="bio">{profile.bio}</p>}
        <p className="user-id">
          <span className="meta">User id </span>
          <code>{userId}</code>
        </p>
        {editing ? (
          <ProfileEditor profile={profile} onDone={() => setEditing(false)} />
        ) : (
          <div className="row">
            {own ? (
              <button type="button" onClick={() => setEditing(true)}>
                Edit profile
              </button>
            ) : (
              <button
                type="button"
                className={followed ? '' : 'primary'}
                disabled={busy}
                onClick={() => void run(() => (followed ? unfollow(userId) : follow(userId)))}
              >
                {followed ? 'Unfollow' : 'Follow'}
              </button>
            )}
            <button type="button" onClick={() => void copyLink()}>
              Copy link
            </button>
          </div>
        )}
        <ErrorText error={error} />
        <p className="meta copied" aria-live="polite">
          {copied}
        </p>
      </section>
      <section>
        <h2>Posts</h2>
        <PostList list={posts} />
      </section>
      <div className="columns">
        <section>
          <h2>Followers</h2>
          <UserList
            users={followers}
            label="Followers"
            empty={followersLoading ? 'Loading…' : 'No followers yet'}
          />
        </section>
        <section>
          <h2>Following</h2>
          <UserList
            users={following}
            label="Following"
            empty={followingLoading ? 'Loading…' : 'Not following anyone yet'}
          />
        </section>
      </div>
    </>
  )
}
