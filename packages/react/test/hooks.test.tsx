import {
  type FeedClient,
  FeedmeshError,
  type LiveQuery,
  type PostRef,
  type ProfileView,
  type UserId,
} from '@feedmesh/core'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { StrictMode, useState } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import type { TrackedQuery } from '../../core/src/client/TrackedQuery.js'
import {
  feedActions,
  QueryCache,
  useFeedActions,
  useFeedClient,
  useFollowers,
  useFollowing,
  useFriends,
  useLiveQuery,
  usePosts,
  useProfile,
  useThread,
  useTimeline,
} from '../src/index.js'
import { closeClients, offlineClient, short, withClient } from './helpers/fixtures.js'

afterEach(async () => {
  cleanup()
  await closeClients()
})

function Timeline({ pageSize }: { pageSize?: number }) {
  const { value, loading, loadMore, loadingMore } = useTimeline(
    pageSize === undefined ? undefined : { pageSize },
  )
  return (
    <section>
      <p>{loading ? 'timeline loading' : 'timeline ready'}</p>
      <ul>
        {value.posts.map((p) => (
          <li key={p.ref.postId}>{p.text}</li>
        ))}
      </ul>
      <p>{loadingMore ? 'paging' : 'not paging'}</p>
      {value.hasMore && (
        <button type="button" onClick={() => void loadMore()}>
          more
        </button>
      )}
    </section>
  )
}

function Composer() {
  const { post } = useFeedActions()
  return (
    <button type="button" onClick={() => void post('from the composer')}>
      post
    </button>
  )
}

function Profile({ uid }: { uid: UserId }) {
  const { value, loading } = useProfile(uid)
  return <p>{loading ? 'profile loading' : `profile ${value.name ?? short(uid)}`}</p>
}

function Probe({ seen }: { seen: unknown[] }) {
  const actions = useFeedActions()
  seen.push(actions, actions.post)
  return null
}

function Lists({ uid }: { uid: UserId }) {
  const followers = useFollowers(uid)
  const following = useFollowing(uid)
  const friends = useFriends(uid)
  return (
    <p>
      {`followers ${followers.value.length} following ${following.value.length} friends ${friends.value.length}`}
    </p>
  )
}

function Orphan() {
  useFeedClient()
  return null
}

function Thread({ postRef, tick }: { postRef: PostRef; tick: number }) {
  // A new object every render, and the text form: both must find the same query.
  const { value } = useThread({ author: postRef.author, postId: postRef.postId })
  const byText = useThread(`${postRef.author}/${postRef.postId}`)
  return (
    <p>{`${tick}: ${value.post?.text ?? '-'} ${value.comments.length} ${byText.value.comments.length}`}</p>
  )
}

/** A profile through `useLiveQuery`, recording every query it creates. */
function Who({ uid, created }: { uid: UserId; created: LiveQuery<ProfileView>[] }) {
  const { value, loading } = useLiveQuery(`test:profile:${uid}`, (client) => {
    const query = client.profile(uid)
    created.push(query)
    return query
  })
  return <p>{loading ? 'loading' : `${short(uid)} follows ${value.following}`}</p>
}

/** A user's posts through `useLiveQuery`, recording every query it creates. */
function Counted({ uid, created }: { uid: UserId; created: LiveQuery<unknown>[] }) {
  const { value } = useLiveQuery(`test:posts:${uid}`, (c) => {
    const query = c.posts(uid)
    created.push(query)
    return query
  })
  return <p>{`counted ${value.posts.length}`}</p>
}

/** Several hooks on one user, switched to another by a button. */
function Switcher(props: { first: UserId; second: UserId; created: LiveQuery<unknown>[] }) {
  const [uid, setUid] = useState(props.first)
  const posts = usePosts(uid)
  return (
    <>
      <Timeline />
      <Profile uid={uid} />
      <Counted uid={uid} created={props.created} />
      <p>{`posts ${posts.value.posts.length}`}</p>
      <button type="button" onClick={() => setUid(props.second)}>
        switch
      </button>
    </>
  )
}

/** Counts of the open documents, after the client's work settles. */
async function openDocs(client: FeedClient): Promise<number> {
  await client.settled()
  return client.stats().openDocs
}

/** The cache entry of `key` without creating one. */
function cached(client: FeedClient, key: string) {
  return QueryCache.of(client).keys().includes(key)
    ? QueryCache.of(client).entry<unknown, LiveQuery<unknown>>(key, () => {
        throw new Error('not cached')
      })
    : undefined
}

describe('timeline and writes', () => {
  it('shows the timeline and a post as soon as the write resolves (read-your-writes)', async () => {
    const client = await offlineClient()
    render(withClient(client, <Timeline />))
    expect(screen.getByText('timeline loading')).toBeTruthy()
    await screen.findByText('timeline ready')
    expect(screen.queryAllByRole('listitem')).toHaveLength(0)

    await act(async () => {
      await client.post('hello world')
    })
    // No waiting: the write is in the rendered timeline once its promise resolved.
    expect(screen.getByText('hello world')).toBeTruthy()
  })

  it('writes through useFeedActions appear in the timeline of the same render tree', async () => {
    const client = await offlineClient()
    render(
      withClient(
        client,
        <>
          <Composer />
          <Timeline />
        </>,
      ),
    )
    await screen.findByText('timeline ready')
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'post' }))
      await client.settled()
    })
    expect(screen.getByText('from the composer')).toBeTruthy()
  })

  it('edits and deletes show in the rendered timeline after their promises', async () => {
    const client = await offlineClient()
    render(withClient(client, <Timeline />))
    await screen.findByText('timeline ready')
    let ref: PostRef | undefined
    await act(async () => {
      ref = await client.post('first draft')
    })
    await act(async () => {
      await client.editPost(ref!, 'second draft')
    })
    expect(screen.queryByText('first draft')).toBeNull()
    expect(screen.getByText('second draft')).toBeTruthy()
    await act(async () => {
      await client.deletePost(ref!)
    })
    expect(screen.queryByText('second draft')).toBeNull()
  })

  it('loadMore extends the list by a page; loadingMore shows meanwhile', async () => {
    const client = await offlineClient()
    for (const text of ['one', 'two', 'three']) await client.post(text)
    render(withClient(client, <Timeline pageSize={2} />))
    await screen.findByText('timeline ready')
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['three', 'two'])
    expect(screen.getByText('not paging')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'more' }))
    expect(screen.getByText('paging')).toBeTruthy()
    await screen.findByText('not paging')
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'three',
      'two',
      'one',
    ])
    expect(screen.queryByRole('button')).toBeNull()
  })

  it('bound actions keep their identity and work when destructured', async () => {
    const client = await offlineClient()
    const seen: unknown[] = []
    const view = render(withClient(client, <Probe seen={seen} />))
    view.rerender(withClient(client, <Probe seen={seen} />))
    expect(seen[0]).toBe(seen[2])
    expect(seen[1]).toBe(seen[3])
    expect(feedActions(client)).toBe(seen[0])
    const { post } = feedActions(client)
    const ref = await post('unbound call')
    expect(ref.author).toBe(client.userId)
  })
})

describe('loading flags and users', () => {
  it('a profile shows loading, then the name; a profile write updates it', async () => {
    const client = await offlineClient()
    await client.setProfile({ name: 'Ada' })
    render(withClient(client, <Profile uid={client.userId} />))
    expect(screen.getByText('profile loading')).toBeTruthy()
    await screen.findByText('profile Ada')
    await act(async () => {
      await client.setProfile({ name: 'Ada L.' })
    })
    expect(screen.getByText('profile Ada L.')).toBeTruthy()
  })

  it('follower, following and friends lists follow follow writes', async () => {
    const a = await offlineClient()
    const b = await offlineClient()
    render(withClient(a, <Lists uid={a.userId} />))
    await screen.findByText('followers 0 following 0 friends 0')
    await act(async () => {
      await a.follow(b.userId)
    })
    expect(screen.getByText('followers 0 following 1 friends 0')).toBeTruthy()
  })

  it('useFeedClient outside a provider throws a FeedmeshError', () => {
    // React reports the render error to the window too: keep it off the console.
    const onError = (e: ErrorEvent) => e.preventDefault()
    window.addEventListener('error', onError)
    try {
      expect(() => render(<Orphan />)).toThrow(FeedmeshError)
    } finally {
      window.removeEventListener('error', onError)
    }
  })

  it('a thread by a fresh ref object every render keeps one query (keys by value)', async () => {
    const client = await offlineClient()
    const ref = await client.post('threaded')
    await client.comment(ref, 'first!')
    const view = render(withClient(client, <Thread postRef={ref} tick={0} />))
    await screen.findByText('0: threaded 1 1')
    const key = `feedmesh:thread:${ref.author}/${ref.postId}`
    const before = cached(client, key)?.query
    expect(before).toBeDefined()
    view.rerender(withClient(client, <Thread postRef={ref} tick={1} />))
    view.rerender(withClient(client, <Thread postRef={ref} tick={2} />))
    expect(screen.getByText('2: threaded 1 1')).toBeTruthy()
    expect(cached(client, key)?.query).toBe(before)
    expect(QueryCache.of(client).keys()).toEqual([key])
  })
})

describe('query life cycle', () => {
  it('an argument change switches queries and closes the old one; unmount closes all', async () => {
    const a = await offlineClient()
    const b = await offlineClient()
    await a.setProfile({ name: 'Alice' })
    await a.follow(b.userId)
    const created: LiveQuery<ProfileView>[] = []
    const view = render(withClient(a, <Who uid={a.userId} created={created} />))
    await screen.findByText(`${short(a.userId)} follows 1`)
    view.rerender(withClient(a, <Who uid={b.userId} created={created} />))
    await screen.findByText(`${short(b.userId)} follows 0`)
    expect(created).toHaveLength(2)
    await waitFor(() => expect((created[0] as TrackedQuery<ProfileView>).closed).toBe(true))
    expect((created[1] as TrackedQuery<ProfileView>).closed).toBe(false)
    expect(QueryCache.of(a).keys()).toEqual([`test:profile:${b.userId}`])
    // Switching back makes a new query for the first user.
    view.rerender(withClient(a, <Who uid={a.userId} created={created} />))
    await screen.findByText(`${short(a.userId)} follows 1`)
    expect(created).toHaveLength(3)
    view.unmount()
    await waitFor(async () => expect(await openDocs(a)).toBe(0))
    expect(created.every((q) => (q as TrackedQuery<ProfileView>).closed)).toBe(true)
    expect(QueryCache.of(a).keys()).toEqual([])
  })

  it('components with the same arguments share one query', async () => {
    const client = await offlineClient()
    const view = render(
      withClient(
        client,
        <>
          <Profile uid={client.userId} />
          <Profile uid={client.userId} />
          <Timeline />
          <Timeline />
        </>,
      ),
    )
    await waitFor(() =>
      expect(screen.getAllByText(`profile ${short(client.userId)}`)).toHaveLength(2),
    )
    expect(QueryCache.of(client).keys().sort()).toEqual([
      `feedmesh:profile:${client.userId}`,
      'feedmesh:timeline:',
    ])
    view.unmount()
    await waitFor(async () => expect(await openDocs(client)).toBe(0))
  })

  it('StrictMode double rendering and effects do not leak or duplicate queries', async () => {
    const client = await offlineClient()
    const other = await offlineClient()
    await client.post('strict')
    const created: LiveQuery<unknown>[] = []
    const view = render(
      <StrictMode>
        {withClient(
          client,
          <Switcher first={client.userId} second={other.userId} created={created} />,
        )}
      </StrictMode>,
    )
    await screen.findByText('timeline ready')
    await screen.findByText('counted 1')
    expect(screen.getByText('posts 1')).toBeTruthy()
    expect(created).toHaveLength(1)
    await act(async () => {
      await client.post('strict again')
    })
    expect(screen.getByText('counted 2')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'switch' }))
    await screen.findByText('counted 0')
    expect(created).toHaveLength(2)
    await waitFor(() => expect((created[0] as TrackedQuery<unknown>).closed).toBe(true))
    expect(QueryCache.of(client).keys().sort()).toEqual(
      [
        'feedmesh:timeline:',
        `feedmesh:profile:${other.userId}`,
        `feedmesh:posts:${other.userId}:`,
        `test:posts:${other.userId}`,
      ].sort(),
    )
    view.unmount()
    await waitFor(async () => expect(await openDocs(client)).toBe(0))
    expect(QueryCache.of(client).keys()).toEqual([])
    expect(created.every((q) => (q as TrackedQuery<unknown>).closed)).toBe(true)
  })

  it('a query created by a render that never commits is closed after a while', async () => {
    const client = await offlineClient()
    const cache = new QueryCache(client, 20)
    const entry = cache.entry(`feedmesh:profile:${client.userId}`, (c) => c.profile(client.userId))
    expect(cache.keys()).toHaveLength(1)
    await waitFor(() => expect(entry.closed).toBe(true))
    expect(cache.keys()).toEqual([])
    await waitFor(async () => expect(await openDocs(client)).toBe(0))
    // A late subscription reopens it with a new query.
    const seen: unknown[] = []
    const unsubscribe = entry.subscribe(() => seen.push(entry.state))
    expect(entry.closed).toBe(false)
    expect(cache.keys()).toHaveLength(1)
    await entry.query.ready
    await waitFor(() => expect(entry.state.loading).toBe(false))
    expect(seen.length).toBeGreaterThan(0)
    unsubscribe()
    unsubscribe()
    await waitFor(() => expect(entry.closed).toBe(true))
    expect(entry.refs).toBe(0)
  })
})
