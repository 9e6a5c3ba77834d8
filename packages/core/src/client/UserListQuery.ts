/**
 * Lists of users around one user, sorted: followers (visible edges in
 * `f/<uid>`), following (`follow` records in `u/<uid>`), and friends (users
 * in both: uid follows them and they follow uid).
 */
import { followersDocId, userDocId } from '../docIds.js'
import type { UserId } from '../Identity.js'
import type { DocStore } from './DocStore.js'
import { followsOf, visibleRecords } from './readers.js'
import { type DocReads, TrackedQuery } from './TrackedQuery.js'

/** Which list, as a const object; {@link UserList} is the union. */
export const UserLists = {
  Followers: 'followers',
  Following: 'following',
  Friends: 'friends',
} as const

/** One of {@link UserLists}. */
export type UserList = (typeof UserLists)[keyof typeof UserLists]

/** A live, sorted list of user ids. */
export class UserListQuery extends TrackedQuery<UserId[]> {
  readonly #uid: UserId
  readonly #list: UserList

  /**
   * @param store the client's documents
   * @param uid whose list
   * @param list which list
   */
  constructor(store: DocStore, uid: UserId, list: UserList) {
    super(store, [])
    this.#uid = uid
    this.#list = list
    this.start()
  }

  protected compute(reads: DocReads): UserId[] {
    const uid = this.#uid
    const following = () => [...followsOf(reads.doc(userDocId(uid)))]
    const followers = () =>
      [
        ...new Set(
          (visibleRecords(reads, followersDocId(uid)) ?? [])
            .filter((r) => r.type === 'follower')
            .map((r) => r.author),
        ),
      ].sort()
    switch (this.#list) {
      case UserLists.Following:
        return following()
      case UserLists.Followers:
        return followers()
      default: {
        const back = new Set(followers())
        return following().filter((u) => back.has(u))
      }
    }
  }
}
