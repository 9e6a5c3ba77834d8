/**
 * Public chat rooms. A room document is `r/<owner>/<room>`; the app's
 * public rooms all belong to one owner whose user id is the all-zero key,
 * which no secret key produces: nobody can moderate them, so every user
 * reaches the same `lobby` by its name alone.
 */
import type { RoomRef, UserId } from '@feedmesh/core'

/** The owner of the app's public rooms (32 zero bytes in base64url). */
export const PUBLIC_ROOM_OWNER: UserId = 'A'.repeat(43)

/** The public room called `name`. */
export function publicRoom(name: string): RoomRef {
  return { owner: PUBLIC_ROOM_OWNER, room: name }
}
