/**
 * What the CLI prints: the live-query views of `@feedmesh/core` turned into
 * JSON objects (stable field names for scripts) and into text for people.
 *
 * JSON shapes (every `at`/`editedAt` in ms since the epoch):
 * - post: `{ kind: 'post', ref, author, postId, text, at, rev, editedAt?, replyTo?, comments, reactions }`
 * - comment: `{ kind: 'comment', ref, post, author, commentId, text, at, rev }`,
 *   `ref` = `<post ref>/<author>/<commentId>`
 * - message: `{ kind: 'message', ref, room, author, id, text, at, rev }`,
 *   `ref` = `<room>/<author>/<id>`
 * - user: `{ userId }`; profile: `{ userId, name?, bio?, avatar?, following, followers }`
 */
import {
  type CommentRef,
  type CommentView,
  formatRef,
  type MessageView,
  type PostView,
  type ProfileView,
  type RoomRef,
} from '@feedmesh/core'

/** A post as printed by `--json`. */
export interface PostJson {
  kind: 'post'
  ref: string
  author: string
  postId: string
  text: string
  at: number
  rev: number
  editedAt?: number
  replyTo?: string
  comments: number
  reactions: Record<string, number>
}

/** A comment as printed by `--json`. */
export interface CommentJson {
  kind: 'comment'
  ref: string
  post: string
  author: string
  commentId: string
  text: string
  at: number
  rev: number
}

/** A chat message as printed by `--json`. */
export interface MessageJson {
  kind: 'message'
  ref: string
  room: string
  author: string
  id: string
  text: string
  at: number
  rev: number
}

/** `<owner>/<room>` */
export function roomName(room: RoomRef): string {
  return `${room.owner}/${room.room}`
}

/** The JSON object of a post. */
export function postJson(p: PostView): PostJson {
  const json: PostJson = {
    kind: 'post',
    ref: formatRef(p.ref),
    author: p.author,
    postId: p.ref.postId,
    text: p.text,
    at: p.at,
    rev: p.rev,
    comments: p.comments,
    reactions: { ...p.reactions },
  }
  if (p.editedAt !== undefined) json.editedAt = p.editedAt
  if (p.replyTo !== undefined) json.replyTo = formatRef(p.replyTo)
  return json
}

/** `<post ref>/<commenter>/<commentId>` */
export function formatCommentRef(ref: CommentRef): string {
  return `${formatRef(ref.post)}/${ref.author}/${ref.commentId}`
}

/** The JSON object of a comment. */
export function commentJson(c: CommentView): CommentJson {
  const post = formatRef(c.ref.post)
  return {
    kind: 'comment',
    ref: formatCommentRef(c.ref),
    post,
    author: c.author,
    commentId: c.ref.commentId,
    text: c.text,
    at: c.at,
    rev: c.rev,
  }
}

/** The JSON object of a chat message. */
export function messageJson(room: RoomRef, m: MessageView): MessageJson {
  const name = roomName(room)
  return {
    kind: 'message',
    ref: `${name}/${m.author}/${m.id}`,
    room: name,
    author: m.author,
    id: m.id,
    text: m.text,
    at: m.at,
    rev: m.rev,
  }
}

/** The JSON object of a profile. */
export function profileJson(p: ProfileView): Record<string, unknown> {
  const json: Record<string, unknown> = { userId: p.userId }
  if (p.name !== undefined) json.name = p.name
  if (p.bio !== undefined) json.bio = p.bio
  if (p.avatar !== undefined) json.avatar = p.avatar
  json.following = p.following
  json.followers = p.followers
  return json
}

/** ISO time of a timestamp. */
export function time(at: number): string {
  return new Date(at).toISOString()
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n')
}

function reactionsText(reactions: Record<string, number>): string {
  return Object.entries(reactions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([emoji, n]) => `${emoji} ${n}`)
    .join('  ')
}

/**
 * A post for people: a header line (ref, time, version, counts) and the
 * text indented below it.
 */
export function postText(p: PostView): string {
  const parts = [formatRef(p.ref), time(p.at)]
  if (p.editedAt !== undefined) parts.push(`edited ${time(p.editedAt)}`)
  parts.push(`rev ${p.rev}`)
  if (p.replyTo !== undefined) parts.push(`reply to ${formatRef(p.replyTo)}`)
  if (p.comments > 0) parts.push(`${p.comments} comment${p.comments === 1 ? '' : 's'}`)
  const reactions = reactionsText(p.reactions)
  if (reactions !== '') parts.push(reactions)
  return `${parts.join('  ')}\n${indent(p.text, '  ')}`
}

/** A comment for people, indented under its post: its ref (which names the author), time and version, then the text. */
export function commentText(c: CommentView): string {
  return `  ${formatCommentRef(c.ref)}  ${time(c.at)}  rev ${c.rev}\n${indent(c.text, '    ')}`
}

/** A chat message for people: one header line and the text below. */
export function messageText(m: MessageView): string {
  return `${time(m.at)}  ${m.author}\n${indent(m.text, '  ')}`
}

/** A profile for people. */
export function profileText(p: ProfileView): string {
  const lines = [p.userId]
  if (p.name !== undefined) lines.push(`name: ${p.name}`)
  if (p.bio !== undefined) lines.push(`bio: ${p.bio}`)
  if (p.avatar !== undefined) lines.push(`avatar: ${p.avatar}`)
  lines.push(`following: ${p.following}`, `followers: ${p.followers}`)
  return lines.join('\n')
}
