/**
 * `feedmesh watch`: the live timeline. It catches up like every read,
 * prints the latest `--limit` posts oldest first, says on stderr that it is
 * watching, then prints every post that appears in the timeline or gets a
 * new version, as the relay pushes it, until SIGINT or SIGTERM (then it
 * closes the client and exits 0). With `--json`, one JSON object per line.
 * The client reconnects by itself (with backoff) when the relay goes away.
 */
import { formatRef, type PostsView, type PostView } from '@feedmesh/core'
import type { Handler } from './commandContext.js'
import { printJson, withSession } from './commandContext.js'
import { postJson, postText } from './format.js'
import { limitOf } from './readCommands.js'

const watch: Handler = async (ctx) => {
  const { io, inv } = ctx
  const pageSize = limitOf(ctx)
  const stopped = io.untilSignal()
  await withSession(ctx, async (session) => {
    const timeline = session.client.timeline({ pageSize })
    const shown = new Map<string, number>()
    const show = (view: PostsView) => {
      const fresh: PostView[] = []
      for (const p of view.posts) {
        const ref = formatRef(p.ref)
        const rev = shown.get(ref)
        if (rev === undefined || p.rev > rev) fresh.push(p)
      }
      for (const p of fresh.reverse()) {
        shown.set(formatRef(p.ref), p.rev)
        if (inv.options.json) printJson(io, postJson(p))
        else io.out(postText(p))
      }
    }
    try {
      const first = await Promise.race([session.catchUp().then(() => undefined), stopped])
      if (first !== undefined) return
      show(timeline.current)
      timeline.subscribe(show)
      const where = session.hasRelays
        ? inv.options.relays.join(', ')
        : `${inv.options.data} only (no relay configured)`
      io.err(`watching the timeline of ${session.identity.userId} on ${where}; Ctrl-C to stop`)
      const signal = await stopped
      io.err(`${signal}: stopping`)
    } finally {
      timeline.close()
    }
  })
}

/** The `watch` command by name. */
export const watchCommands: Readonly<Record<string, Handler>> = { watch }
