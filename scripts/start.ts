/**
 * `pnpm start`: one relay on this machine that also serves the example app.
 * It keeps its data under ./data, listens on 127.0.0.1:8787 ($PORT moves
 * it) for both the app (HTTP) and the WebSocket protocol, and says which URL
 * to open. Ctrl-C (or SIGTERM) stops it after it drained its writes.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'

const cli = path.resolve('packages/relay/dist/cli.js')
const app = path.resolve('examples/feed-app/dist')
const port = process.env.PORT ?? '8787'

if (!fs.existsSync(path.join(app, 'index.html'))) {
  console.error(`start: ${app}/index.html is missing: build the app first (pnpm build)`)
  process.exit(1)
}

const args = [cli, '--port', port, '--data', path.resolve('data'), '--name', 'local']
args.push('--app', app)
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
createInterface({ input: child.stdout! }).on('line', (line) => {
  console.log(line)
  try {
    const info = JSON.parse(line) as { url: string; httpUrl: string }
    console.log(
      `\nfeedmesh is running: open ${info.httpUrl}/ in a browser (relay ${info.url}, data in ./data; Ctrl-C stops it)\n`,
    )
  } catch {
    // not the relay's JSON line: printed as it is
  }
})
child.on('exit', (code) => process.exit(code ?? 1))

function stop(): void {
  if (child.exitCode === null) child.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
