/**
 * Reads the memory of a server process started with the memory probe
 * preload (`servers/memoryProbe.ts`): sends it `SIGUSR2`, waits (bounded)
 * for the JSON file it writes after a full garbage collection, and returns
 * the figures.
 */
import fs from 'node:fs'
import { probeFile } from './probeFile.js'

/** Memory of a server process after a forced garbage collection, bytes. */
export interface ServerMemory {
  /** Resident set size. */
  rss: number
  /** V8 heap in use. */
  heapUsed: number
  /** V8 heap reserved. */
  heapTotal: number
  /** Memory of C++ objects bound to JS objects (Buffers, ...). */
  external: number
  /** ArrayBuffers and Buffers (part of `external`). */
  arrayBuffers: number
  /** False when the process had no `--expose-gc` (figures before collection). */
  collected: boolean
}

/** The process command line flags that load the probe (put them before the script). */
export const probeNodeArgs: readonly string[] = [
  '--expose-gc',
  '--import',
  'tsx',
  '--import',
  './src/servers/memoryProbe.ts',
]

/** Asks process `pid` for its memory after GC (see the module comment). */
export async function readMemory(pid: number, timeoutMs = 10_000): Promise<ServerMemory> {
  const file = probeFile(pid)
  fs.rmSync(file, { force: true })
  process.kill(pid, 'SIGUSR2')
  const deadline = performance.now() + timeoutMs
  for (;;) {
    if (fs.existsSync(file)) {
      const memory = JSON.parse(fs.readFileSync(file, 'utf8')) as ServerMemory
      fs.rmSync(file, { force: true })
      return memory
    }
    if (performance.now() > deadline) throw new Error(`no memory figures from process ${pid}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
