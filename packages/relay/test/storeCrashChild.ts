/**
 * Child process of the crash test (`store.crash.test.ts`): opens a
 * SqliteStore and appends as fast as it can, in bursts of concurrent appends
 * to random documents, printing one line `ack <seq> <doc> <key>` for every
 * append AFTER its promise resolved. The parent SIGKILLs it at a random
 * moment and checks that every printed append is in the reopened store.
 *
 * Arguments: <data dir> <seed> <FULL|NORMAL> <compactAfter>.
 */
import * as prng from 'lib0/prng'
import * as Y from 'yjs'
import { SqliteStore, type SyncMode } from '../src/store/SqliteStore.js'

const [dir, seedText, synchronous, compactAfterText] = process.argv.slice(2)
if (dir === undefined || seedText === undefined)
  throw new Error('usage: <dir> <seed> <sync> <compactAfter>')
const gen = prng.create(Number(seedText))
const compactAfter = Number(compactAfterText ?? '0')
const store = await SqliteStore.open(dir, {
  synchronous: (synchronous ?? 'FULL') as SyncMode,
  compactAfter,
  autoCompact: compactAfter > 0,
  compactDelayMs: 0,
})
process.stdout.write(`epoch ${store.epoch}\n`)

const docs = Array.from({ length: prng.uint32(gen, 1, 30) }, () => new Y.Doc())
let key = 0
for (;;) {
  const burst: Promise<void>[] = []
  const size = prng.uint32(gen, 1, 40)
  for (let b = 0; b < size; b++) {
    const docIndex = prng.uint32(gen, 0, docs.length - 1)
    const doc = docs[docIndex]!
    const k = `k${key++}`
    let update: Uint8Array | undefined
    doc.once('update', (u: Uint8Array) => {
      update = u
    })
    doc.getMap('m').set(k, docIndex)
    burst.push(
      store.append(`doc${docIndex}`, update!).then((seq) => {
        process.stdout.write(`ack ${seq} doc${docIndex} ${k}\n`)
      }),
    )
  }
  await Promise.all(burst)
}
