/**
 * The Hocuspocus peer: `@hocuspocus/server` 4.7 with its default
 * configuration, on 127.0.0.1 and a free port. `--seed FILE` makes
 * `onLoadDocument` apply the seed document's update (the documented way
 * to load a document from storage; without a storage hook Hocuspocus
 * forgets a document when its last client leaves).
 * `--max-pending N` sets `maxPendingDocuments` (default 100: a socket
 * opening more documents at once is reset), the documented fix for a
 * client that opens many documents over one socket. Prints the port as the
 * first stdout line.
 */
import { Server } from '@hocuspocus/server'
import * as Y from 'yjs'
import { readSeedFile } from '../seedData.js'

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name)
  return at >= 0 ? process.argv[at + 1] : undefined
}

const seedFile = arg('--seed')
const seed = new Map(
  (seedFile === undefined ? [] : readSeedFile(seedFile)).map((d) => [d.docId, d.update]),
)
const maxPending = arg('--max-pending')

const server = new Server({
  address: '127.0.0.1',
  port: 0,
  quiet: true,
  stopOnSignals: false,
  ...(maxPending === undefined ? {} : { maxPendingDocuments: Number(maxPending) }),
  async onLoadDocument({ document, documentName }) {
    const update = seed.get(documentName)
    if (update !== undefined) Y.applyUpdate(document, update)
    return document
  },
})
await server.listen(0)
process.stdout.write(`${server.address.port}\n`)
process.on('SIGTERM', () => process.exit(0))
