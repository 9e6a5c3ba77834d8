/** A user's profile and follow counts, from `u/<uid>` and `f/<uid>`. */
import { followersDocId, userDocId } from '../docIds.js'
import type { UserId } from '../Identity.js'
import type { RecordBodies } from '../schemas.js'
import type { DocStore } from './DocStore.js'
import { followsOf, recordsOfType, visibleRecords } from './readers.js'
import { type DocReads, TrackedQuery } from './TrackedQuery.js'
import type { ProfileView } from './views.js'

/** A live profile. */
export class ProfileQuery extends TrackedQuery<ProfileView> {
  readonly #uid: UserId

  /**
   * @param store the client's documents
   * @param uid the user
   */
  constructor(store: DocStore, uid: UserId) {
    super(store, { userId: uid, following: 0, followers: 0 })
    this.#uid = uid
    this.start()
  }

  protected compute(reads: DocReads): ProfileView {
    const uid = this.#uid
    const user = reads.doc(userDocId(uid))
    const edges = visibleRecords(reads, followersDocId(uid)) ?? []
    const view: ProfileView = {
      userId: uid,
      following: followsOf(user).length,
      followers: edges.filter((r) => r.type === 'follower').length,
    }
    const profile = recordsOfType(user, 'profile').find((p) => p.author === uid)
    if (profile !== undefined) {
      const body = profile.body as RecordBodies['profile']
      view.name = body.name
      if (body.bio !== undefined) view.bio = body.bio
      if (body.avatar !== undefined) view.avatar = body.avatar
    }
    return view
  }
}
