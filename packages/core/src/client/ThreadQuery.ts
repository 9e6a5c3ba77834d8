/**
 * One post with its thread: the post from its month's bucket
 * `p/<author>/<month>`, the comments and reactions from `t/<author>/<postId>`
 * (with the author's mods and blocks applied, from `u/<author>`).
 */
import { userDocId } from '../docIds.js'
import type { UserId } from '../Identity.js'
import type { RecordBodies } from '../schemas.js'
import type { DocStore } from './DocStore.js'
import {
  byTimeAuthorId,
  commentView,
  postOf,
  postView,
  reactionCounts,
  threadRecords,
  visibleRecords,
} from './readers.js'
import { type PostRef, postDocOf, threadOf } from './refs.js'
import { type DocReads, TrackedQuery } from './TrackedQuery.js'
import type { ThreadView } from './views.js'

const empty: ThreadView = { post: null, comments: [], reactions: {}, myReactions: [] }

/** A live thread. */
export class ThreadQuery extends TrackedQuery<ThreadView> {
  readonly #ref: PostRef
  readonly #me: UserId

  /**
   * @param store the client's documents
   * @param ref the post
   * @param me this client's user (for `myReactions`)
   */
  constructor(store: DocStore, ref: PostRef, me: UserId) {
    super(store, empty)
    this.#ref = ref
    this.#me = me
    this.start()
  }

  protected compute(reads: DocReads): ThreadView {
    const ref = this.#ref
    reads.doc(userDocId(ref.author))
    const bucket = reads.doc(postDocOf(ref))
    const visible = visibleRecords(reads, threadOf(ref))
    const thread = threadRecords(visible ?? [])
    const record = postOf(bucket, ref.author, ref.postId)
    const comments = thread.comments
      .map((c) => commentView(ref, c))
      .sort((a, b) =>
        byTimeAuthorId(
          { at: a.at, author: a.author, id: a.ref.commentId },
          { at: b.at, author: b.author, id: b.ref.commentId },
        ),
      )
    const myReactions = thread.reactions
      .filter((r) => r.author === this.#me)
      .map((r) => (r.body as RecordBodies['reaction']).emoji)
      .sort()
    return {
      post: record === undefined ? null : postView(record, thread),
      comments,
      reactions: reactionCounts(thread.reactions),
      myReactions,
    }
  }
}
