/**
 * The Hocuspocus peer: `@hocuspocus/server` 4.7 with its default
 * configuration, on 127.0.0.1 and a free port. `--seed FILE` makes
 * `onLoadDocument` apply the seed document's update (the documented way
 * to load a document from storage; without a storage hook Hocuspocus
 * forgets a document when its last client leaves).
 * `--max-pending N` sets `maxPendingDocuments` (default 100: a socket
 * opening more documents at once is reset), the documented fix for a
 * client that opens many documents over one socket.
 * `--sqlite FILE` adds `@hocuspocus/extension-sqlite` storing into FILE (its
 * documented setup: `new SQLite({ database })`; the store runs through
 * Hocuspocus's debounced `onStoreDocument`, `debounce` 2 s and
 * `maxDebounce` 10 s by default). `--store-log FILE` appends a JSON line
 * `{ "doc", "at" }` to FILE each time a document store completed
 * (`afterStoreDocument`; `at` is `performance.timeOrigin + now()`, ms).
 * Prints the port as the first stdout line.
 */
import fs from 'node:fs'
import { SQLite } from '@hocuspocus/extension-sqlite'
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
const sqliteFile = arg('--sqlite')
const storeLog = arg('--store-log')

const server = new Server({
  address: '127.0.0.1',
  port: 0,
  quiet: true,
  stopOnSignals: false,
  ...(maxPending === undefined ? {} : { maxPendingDocuments: Number(maxPending) }),
  ...(sqliteFile === undefined ? {} : { extensions: [new SQLite({ database: sqliteFile })] }),
  ...(storeLog === undefined
    ? {}
    : {
        async afterStoreDocument({ documentName }: { documentName: string }) {
          const at = performance.timeOrigin + performance.now()
          fs.appendFileSync(storeLog, `${JSON.stringify({ doc: documentName, at })}\n`)
        },
      }),
  async onLoadDocument({ document, documentName }) {
    const update = seed.get(documentName)
    if (update !== undefined) Y.applyUpdate(document, update)
    return document
  },
})
await server.listen(0)
process.stdout.write(`${server.address.port}\n`)
process.on('SIGTERM', () => process.exit(0))
