/**
 * A preload for benchmark server processes (`node --expose-gc --import tsx
 * --import ./src/servers/memoryProbe.ts ...`): on `SIGUSR2` it runs a full
 * garbage collection (twice, a turn of the event loop apart, so that
 * finalizers and weak references settle) and writes `process.memoryUsage()`
 * as JSON to {@link probeFile} of its process id, atomically (write, then
 * rename). It adds nothing to the server it is loaded into but the signal
 * handler; without `--expose-gc` it reports without collecting.
 */
import fs from 'node:fs'
import { probeFile } from '../load/probeFile.js'

const gc = (globalThis as { gc?: () => void }).gc

process.on('SIGUSR2', () => {
  gc?.()
  setTimeout(() => {
    gc?.()
    const usage = process.memoryUsage()
    const file = probeFile(process.pid)
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ...usage, collected: gc !== undefined }))
    fs.renameSync(`${file}.tmp`, file)
  }, 20)
})
