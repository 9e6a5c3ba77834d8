/**
 * The posts of a set of users, newest first, paged: the timeline (this
 * user and everyone they follow) and one user's posts. Each user's months
 * come from the `bucket` records in `u/<uid>`; bucket documents are opened
 * month by month, newest first, only until the page is full, and the thread
 * documents of the posts shown are opened for their comment and reaction
 * counts. Following or unfollowing someone changes the document set.
 *
 * Buckets are read lazily: the page is picked from the posts' claims
 * (verified or not) by a k-way merge of the buckets' newest-first lists,
 * and only the claims on the page (and the one after it, for `hasMore`)
 * are verified. A claim that fails verification is dropped and the next
 * post takes its place on the next computation.
 */
import { postsDocId, threadDocId, userDocId } from '../docIds.js'
import type { UserId } from '../Identity.js'
import { isTombstone, type SignedRecord } from '../records.js'
import type { DocReader } from './DocReader.js'
import type { DocStore } from './DocStore.js'
import type { PagedLiveQuery } from './LiveQuery.js'
import { mergeSorted } from './mergeSorted.js'
import {
  blocksOf,
  bucketsOf,
  claimedPostsOf,
  followsOf,
  newestFirst,
  postView,
  type TimedPost,
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
    // Claims (verified or not) decide which buckets to open and which posts
    // would be on the page; only those are verified (demanded).
    const readers: DocReader[] = []
    const lists: (readonly TimedPost[])[] = []
    let claimed = 0
    let hasMore = false
    for (const month of ordered) {
      if (claimed >= this.#limit) {
        hasMore = true
        break
      }
      let loading = false
      for (const uid of months.get(month) ?? []) {
        const reader = reads.doc(postsDocId(uid, month))
        if (reader === undefined) {
          loading = true
          continue
        }
        const claims = claimedPostsOf(reader)
        readers.push(reader)
        lists.push(claims.posts)
        claimed += claims.live
      }
      if (loading) {
        hasMore = true
        break
      }
    }
    const page: SignedRecord<'post'>[] = []
    const seen = new Set<string>()
    let live = 0
    for (const { item, source } of mergeSorted(lists, newestFirst)) {
      // A post id in two buckets of its author: the newest bucket's claim counts.
      if (seen.has(item.slot)) continue
      seen.add(item.slot)
      const reader = readers[source]!
      const verified = reader.demand(item.slot)
      if (verified === false) continue
      // While a newer version is verified, the verified one shows (as an eager reader would).
      const shown = verified === true ? item.post : reader.records.get(item.slot)
      const post = shown?.type === 'post' && !isTombstone(shown) ? shown : undefined
      // A pending claim holds its place: the page is complete once it is verified.
      if (post === undefined && (verified === true || isTombstone(item.post))) continue
      live++
      if (live > this.#limit) {
        hasMore = true
        break
      }
      if (post !== undefined) page.push(post as SignedRecord<'post'>)
    }
    const posts = page.map((post) => {
      const thread = visibleRecords(reads, threadDocId(post.author, post.id))
      return postView(post, thread === undefined ? undefined : threadRecords(thread))
    })
    return { posts, hasMore }
  }

  #users(reads: DocReads): UserId[] {
    if ('postsOf' in this.#source) return [this.#source.postsOf]
    const me = this.#source.timelineOf
    const mine = reads.doc(userDocId(me))
    const blocked = blocksOf(mine)
    return [me, ...followsOf(mine).filter((uid) => uid !== me && !blocked.has(uid))]
  }
}
