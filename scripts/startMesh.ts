/**
 * `pnpm start:mesh`: a three-relay demo mesh on this machine. Relays a, b
 * and c keep their data under ./data/mesh/<name>, listen on 8787, 8788 and
 * 8789 (BASE_PORT moves them), trust each other's keys and link as a full
 * mesh. Each serves the example app and lists all three with
 * `--client-relay`, so the app's relay picker offers them. Ctrl-C (or
 * SIGTERM) stops all three, each draining its writes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'

const cli = path.resolve('packages/relay/dist/cli.js')
const app = path.resolve('examples/feed-app/dist')
const basePort = Number(process.env.BASE_PORT ?? 8787)
const names = ['a', 'b', 'c'] as const
const relays = names.map((name, i) => ({
  name,
  data: path.resolve('data/mesh', name),
  port: basePort + i,
  key: '',
}))
for (const relay of relays) {
  const out = execFileSync(process.execPath, [cli, 'key', '--data', relay.data], {
    encoding: 'utf8',
  })
  relay.key = out.trim().split('\n').at(-1)!
}

const children: ChildProcess[] = []
for (const relay of relays) {
  const others = relays.filter((r) => r !== relay)
  const args = [cli, '--data', relay.data, '--name', relay.name, '--port', String(relay.port)]
  args.push('--app', app)
  for (const each of relays) args.push('--client-relay', `ws://127.0.0.1:${each.port}/`)
  for (const other of others) args.push('--trust', other.key)
  // Each relay dials the ones after it: every pair gets one link.
  for (const other of relays.slice(relays.indexOf(relay) + 1)) {
    args.push('--peer', `ws://127.0.0.1:${other.port}`)
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  createInterface({ input: child.stdout! }).once('line', (line) => {
    const info = JSON.parse(line) as { url: string; httpUrl: string }
    console.log(
      `relay ${relay.name}: open ${info.httpUrl}/  (WebSocket ${info.url}, health ${info.httpUrl}/healthz)`,
    )
  })
  child.on('exit', (code, signal) => {
    console.log(`relay ${relay.name} exited (${signal ?? code})`)
  })
}

function stop(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
