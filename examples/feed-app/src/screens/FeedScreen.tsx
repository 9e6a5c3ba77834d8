/** The feed: the composer, finding a user, and the timeline of own and followed users' posts. */
import { useTimeline } from '@feedmesh/react'
import type { ReactNode } from 'react'
import { Composer } from '../components/Composer.js'
import { FindUser } from '../components/FindUser.js'
import { PostList } from '../components/PostList.js'

/** The feed screen. */
export function FeedScreen(): ReactNode {
  const timeline = useTimeline()
  return (
    <>
      <h1>Feed</h1>
      <Composer />
      <FindUser />
      <section aria-label="Timeline">
        <PostList list={timeline} />
      </section>
    </>
  )
}
