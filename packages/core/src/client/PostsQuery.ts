/**
 * The posts of a set of users, newest first, paged: the timeline (this
 * user and everyone they follow) and one user's posts. Each user's months
 * come from the `bucket` records in `u/<uid>`; bucket documents are opened
 * month by month, newest first, only until the page is full, and the thread
 * documents of the posts shown are opened for their comment and reaction
 * counts. Following or unfollowing someone changes the document set.
 */
import { postsDocId, threadDocId, userDocId } from '../docIds.js'
import type { UserId } from '../Identity.js'
import type { SignedRecord } from '../records.js'
import type { DocStore } from './DocStore.js'
import type { PagedLiveQuery } from './LiveQuery.js'
import {
  blocksOf,
  bucketsOf,
  cmp,
  createdAt,
  followsOf,
  postView,
  recordsOfType,
  threadRecords,
  visibleRecords,
} from './readers.js'
import { type DocReads, TrackedQuery } from './TrackedQuery.js'
import type { PostsView } from './views.js'

/** Whose posts: a timeline (a user and those they follow) or one user. */
export type PostsSource = { timelineOf: UserId } | { postsOf: UserId }

const empty: PostsView = { posts: [], hasMore: false }

/** A paged live list of posts, newest first. */
export class PostsQuery extends TrackedQuery<PostsView> implements PagedLiveQuery<PostsView> {
  readonly #source: PostsSource
  readonly #pageSize: number
  #limit: number

  /**
   * @param store the client's documents
   * @param source whose posts
   * @param pageSize posts per page
   */
  constructor(store: DocStore, source: PostsSource, pageSize: number) {
    super(store, empty)
    this.#source = source
    this.#pageSize = pageSize
    this.#limit = pageSize
    this.start()
  }

  /** {@inheritDoc PagedLiveQuery.loadMore} */
  async loadMore(): Promise<void> {
    this.#limit += this.#pageSize
    this.run()
    await this.settled()
  }

  protected compute(reads: DocReads): PostsView {
    const users = this.#users(reads)
    const months = new Map<string, UserId[]>()
    for (const uid of users) {
      for (const month of bucketsOf(reads.doc(userDocId(uid)))) {
        const list = months.get(month)
        if (list === undefined) months.set(month, [uid])
        else list.push(uid)
      }
    }
    const ordered = [...months.keys()].sort().reverse()
    const posts = new Map<string, SignedRecord<'post'>>()
    let hasMore = false
    for (const month of ordered) {
      if (posts.size >= this.#limit) {
        hasMore = true
        break
      }
      let loading = false
      for (const uid of months.get(month) ?? []) {
        const reader = reads.doc(postsDocId(uid, month))
        if (reader === undefined) loading = true
        for (const post of recordsOfType(reader, 'post')) {
          posts.set(`${post.author}/${post.id}`, post)
        }
      }
      if (loading) {
        hasMore = true
        break
      }
    }
    const sorted = [...posts.values()].sort(
      (a, b) => createdAt(b) - createdAt(a) || cmp(b.author, a.author) || cmp(b.id, a.id),
    )
    if (sorted.length > this.#limit) hasMore = true
    const page = sorted.slice(0, this.#limit).map((post) => {
      const thread = visibleRecords(reads, threadDocId(post.author, post.id))
      return postView(post, thread === undefined ? undefined : threadRecords(thread))
    })
    return { posts: page, hasMore }
  }

  #users(reads: DocReads): UserId[] {
    if ('postsOf' in this.#source) return [this.#source.postsOf]
    const me = this.#source.timelineOf
    const mine = reads.doc(userDocId(me))
    const blocked = blocksOf(mine)
    return [me, ...followsOf(mine).filter((uid) => uid !== me && !blocked.has(uid))]
  }
}
