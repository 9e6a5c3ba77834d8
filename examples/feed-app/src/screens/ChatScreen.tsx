/**
 * A public chat room (`r/<public owner>/<room>`): its messages in the
 * room's order, the form that sends (Enter sends), joining another room,
 * and presence: who is typing and how many are here, through the room's
 * awareness (soft state, never stored).
 */
import { RecordLimits, type UserId } from '@feedmesh/core'
import { useFeedActions, useFeedClient, usePresence, useRoom } from '@feedmesh/react'
import { type ReactNode, useEffect, useId, useMemo, useRef, useState } from 'react'
import { ErrorText } from '../components/ErrorText.js'
import { GoToForm } from '../components/GoToForm.js'
import { RelativeTime } from '../components/RelativeTime.js'
import { UserLink, useUserName } from '../components/UserName.js'
import { publicRoom } from '../rooms.js'
import { chatHref, roomPattern } from '../routes.js'
import { useAction } from '../useAction.js'

/** How long after the last keystroke "is typing…" ends, ms. */
const TYPING_IDLE_MS = 4000

/** Props of {@link ChatScreen}. */
export interface ChatScreenProps {
  /** The room name. */
  room: string
}

function TypingNotice({ userId }: { userId: UserId }): ReactNode {
  return <span>{useUserName(userId)} is typing…</span>
}

/** The route of the room named `text`, or null when it is no room name. */
function roomOf(text: string): string | null {
  const room = text.trim().toLowerCase()
  return roomPattern.test(room) ? chatHref(room) : null
}

/** The chat screen. */
export function ChatScreen({ room }: ChatScreenProps): ReactNode {
  const roomRef = useMemo(() => publicRoom(room), [room])
  const me = useFeedClient().userId
  const { value, loading } = useRoom(roomRef)
  const presence = usePresence(roomRef, { typing: false })
  const { say } = useFeedActions()
  const { busy, error, run } = useAction()
  const [text, setText] = useState('')
  const typing = useRef(false)
  const idleTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const log = useRef<HTMLDivElement>(null)
  const inputId = useId()
  const setPresence = presence.set

  const setTyping = (next: boolean) => {
    if (typing.current === next) return
    typing.current = next
    setPresence({ typing: next })
  }

  useEffect(() => () => clearTimeout(idleTimer.current), [])

  const count = value.messages.length
  useEffect(() => {
    const el = log.current
    if (el !== null && count > 0) el.scrollTop = el.scrollHeight
  }, [count])

  const others = presence.value.peers.filter((p) => p.user !== undefined && p.user !== me)
  const typingUsers = [
    ...new Set(others.filter((p) => p.state.typing === true).map((p) => p.user as UserId)),
  ]
  const online = new Set([me, ...others.map((p) => p.user as UserId)]).size

  const send = async () => {
    const message = text.trim()
    if (message === '' || busy) return
    clearTimeout(idleTimer.current)
    setTyping(false)
    if (await run(() => say(roomRef, message))) setText('')
  }

  return (
    <>
      <div className="chat-head">
        <h1># {room}</h1>
        <p className="meta">
          <span className="status-dot online" aria-hidden="true" /> {online} online
        </p>
      </div>
      <GoToForm
        label="Room"
        button="Join"
        placeholder="e.g. general"
        hrefOf={roomOf}
        invalid="Room names use lowercase letters, digits and dashes."
      />
      <div
        className="card chat-log"
        role="log"
        aria-label="Messages"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        tabIndex={0}
        ref={log}
      >
        {count === 0 ? (
          <p className="empty">{loading ? 'Loading…' : 'No messages yet. Say hello!'}</p>
        ) : (
          <ul className="messages">
            {value.messages.map((m) => (
              <li
                key={`${m.author}/${m.id}`}
                className={m.author === me ? 'message mine' : 'message'}
              >
                <div className="message-header">
                  <UserLink userId={m.author} />
                  <span className="meta">
                    <RelativeTime at={m.at} />
                  </span>
                </div>
                <p className="message-text">{m.text}</p>
              </li>
            ))}
          </ul>
        )}
      </div>
      <p className="typing meta" aria-live="polite">
        {typingUsers.map((uid) => (
          <TypingNotice key={uid} userId={uid} />
        ))}
      </p>
      <form
        className="row chat-form"
        onSubmit={(event) => {
          event.preventDefault()
          void send()
        }}
      >
        <label htmlFor={inputId} className="visually-hidden">
          Message
        </label>
        <input
          id={inputId}
          type="text"
          autoComplete="off"
          placeholder={`Message #${room}`}
          maxLength={RecordLimits.commentText}
          value={text}
          onChange={(event) => {
            const next = event.target.value
            setText(next)
            setTyping(next.trim() !== '')
            clearTimeout(idleTimer.current)
            if (next.trim() !== '')
              idleTimer.current = setTimeout(() => setTyping(false), TYPING_IDLE_MS)
          }}
          onBlur={() => setTyping(false)}
        />
        <button type="submit" className="primary" disabled={busy || text.trim() === ''}>
          Send
        </button>
      </form>
      <ErrorText error={error} />
    </>
  )
}
