/**
 * The y-websocket peer: `@y/websocket-server` 0.1.1 embedded as its README
 * shows (`setupWSConnection` on a `ws` server over `node:http`), on
 * 127.0.0.1 and a free port. `--seed FILE` loads the seed documents into
 * the server's documents before listening. Prints the port as the first
 * stdout line.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { getYDoc, setupWSConnection } from '@y/websocket-server/utils'
import { WebSocketServer } from 'ws'
import * as Y from 'yjs'
import { readSeedFile } from '../seedData.js'

const seedAt = process.argv.indexOf('--seed')
const seedFile = seedAt >= 0 ? process.argv[seedAt + 1] : undefined
if (seedFile !== undefined) {
  for (const { docId, update } of readSeedFile(seedFile)) Y.applyUpdate(getYDoc(docId), update)
}

const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end('okay')
})
const wss = new WebSocketServer({ noServer: true })
wss.on('connection', setupWSConnection)
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request))
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`)
})
process.on('SIGTERM', () => process.exit(0))
