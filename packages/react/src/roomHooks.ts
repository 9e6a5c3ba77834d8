/**
 * Hooks for chat rooms: the messages of a room and presence in it (who is
 * there, who is typing).
 */
import {
  type DocId,
  type Presence,
  type PresenceState,
  type PresenceView,
  type RoomRef,
  type RoomView,
  roomDocId,
} from '@feedmesh/core'
import { useCallback, useMemo } from 'react'
import type { LivePresence, LiveState } from './liveStates.js'
import { useLiveQuery, useQueryEntry } from './useLiveQuery.js'

/**
 * A chat room's messages, in order (`{ owner, room }`, compared by value).
 * Send with `useFeedActions().say(room, text)`. Throws `FeedmeshError`
 * `bad-doc-id` for a malformed room.
 *
 * @example
 * ```tsx
 * function Chat({ room }: { room: RoomRef }) {
 *   const { value } = useRoom(room)
 *   const { say } = useFeedActions()
 *   return (
 *     <>
 *       {value.messages.map((m) => <p key={`${m.author}/${m.id}`}>{m.text}</p>)}
 *       <button onClick={() => void say(room, 'hello')}>Wave</button>
 *     </>
 *   )
 * }
 * ```
 */
export function useRoom(room: RoomRef): LiveState<RoomView> {
  const { owner, room: name } = room
  return useLiveQuery(`feedmesh:room:${owner}/${name}`, (client) =>
    client.room({ owner, room: name }),
  )
}

/**
 * Presence in a room (or any document id): the others there, with their
 * states, and `set` to change this client's state. `initial` is this
 * client's first state (`null` or absent: watch without being shown); it is
 * read only when the presence opens, so change it later with `set`. All
 * components of a client in the same room share one presence (one entry
 * for the others to see); it leaves the room when the last one unmounts.
 * Presence is soft state: relayed to the room's other subscribers, never
 * stored, nothing is sent offline.
 *
 * @example
 * ```tsx
 * function Typing({ room }: { room: RoomRef }) {
 *   const { value, set } = usePresence(room, { typing: false })
 *   const typing = value.peers.filter((p) => p.state.typing === true)
 *   return (
 *     <>
 *       <input onChange={(e) => set({ typing: e.target.value !== '' })} />
 *       {typing.length > 0 && <small>{typing.length} typing…</small>}
 *     </>
 *   )
 * }
 * ```
 */
export function usePresence(target: RoomRef | DocId, initial?: PresenceState | null): LivePresence {
  const docId = typeof target === 'string' ? target : roomDocId(target.owner, target.room)
  const [entry, state] = useQueryEntry<PresenceView, Presence>(
    `feedmesh:presence:${docId}`,
    (client) => client.presence(docId, initial),
  )
  const set = useCallback((next: PresenceState | null) => entry.query.set(next), [entry])
  return useMemo(() => ({ ...state, set }), [state, set])
}
