/**
 * Crash safety of SqliteStore: a child process appends as fast as it can and
 * prints every append once acknowledged; the test SIGKILLs it at a random
 * moment, reopens the data directory and checks that every acknowledged
 * append is there, with its sequence number, and that the epoch survived.
 * Seeded: a failure prints the seed (`SEED=<n>` replays it); more runs with
 * `EXTENSIVE=1`.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as prng from 'lib0/prng'
import { afterEach, describe, expect, it } from 'vitest'
import { EpochReasons } from '../src/store/epochRule.js'
import { SqliteStore, SyncModes } from '../src/store/SqliteStore.js'
import { docFrom, keyUpdate } from './storeContract.js'
import { runs, seed, withSeed } from './storeFuzz.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const child = path.join(here, 'storeCrashChild.ts')

interface Ack {
  seq: number
  docId: string
  key: string
}

interface ChildRun {
  epoch: string
  acks: Ack[]
  stderr: string
}

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** Runs the child until it has printed `killAfter` acknowledgements, then SIGKILLs it. */
function runAndKill(dir: string, args: string[], killAfter: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, ...args], {
      cwd: here,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let epoch = ''
    const acks: Ack[] = []
    let buffered = ''
    let stderr = ''
    let killed = false
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        const [kind, a, b, c] = line.split(' ')
        if (kind === 'epoch' && a !== undefined) epoch = a
        else if (kind === 'ack' && a !== undefined && b !== undefined && c !== undefined) {
          acks.push({ seq: Number(a), docId: b, key: c })
        }
      }
      if (!killed && acks.length >= killAfter) {
        killed = true
        proc.kill('SIGKILL')
      }
    })
    proc.on('error', reject)
    proc.on('close', (code, signal) => {
      if (signal === 'SIGKILL' && killed) resolve({ epoch, acks, stderr })
      else reject(new Error(`child exited on its own (code ${code}, signal ${signal}):\n${stderr}`))
    })
  })
}

describe('SqliteStore crash safety (SIGKILL)', () => {
  const count = runs(3, 25)
  for (let run = 0; run < count; run++) {
    const runSeed = seed + run
    it(`keeps every acknowledged append after SIGKILL (seed ${runSeed})`, async () => {
      await withSeed(runSeed, async (gen) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feedmesh-crash-'))
        dirs.push(dir)
        const synchronous = prng.bool(gen) ? SyncModes.Full : SyncModes.Normal
        const compactAfter = prng.oneOf(gen, [0, 5, 50])
        const killAfter = prng.uint32(gen, 10, runs(1500, 5000))
        const result = await runAndKill(
          dir,
          [String(prng.uint32(gen, 0, 2 ** 31 - 1)), synchronous, String(compactAfter)],
          killAfter,
        )
        expect(result.epoch.length).toBeGreaterThan(0)
        expect(result.acks.length).toBeGreaterThanOrEqual(killAfter)
        const seqs = result.acks.map((a) => a.seq)
        expect(new Set(seqs).size).toBe(seqs.length)

        const store = await SqliteStore.open(dir, { synchronous, autoCompact: false })
        try {
          expect(store.epoch).toBe(result.epoch)
          expect(store.epochReason).toBe(EpochReasons.Continued)
          expect(await store.head()).toBeGreaterThanOrEqual(Math.max(...seqs))
          const byDoc = new Map<string, Ack[]>()
          for (const ack of result.acks) {
            const list = byDoc.get(ack.docId) ?? []
            list.push(ack)
            byDoc.set(ack.docId, list)
          }
          const latest = new Map(
            (await store.changesSince(0, 1000)).changes.map((c) => [c.docId, c.seq]),
          )
          for (const [docId, acks] of byDoc) {
            const log = await store.load(docId)
            const map = docFrom(log.updates).getMap('m')
            for (const ack of acks) {
              expect(
                map.has(ack.key),
                `${docId} lost acknowledged ${ack.key} (seq ${ack.seq})`,
              ).toBe(true)
            }
            const maxSeq = Math.max(...acks.map((a) => a.seq))
            expect(log.seq).toBeGreaterThanOrEqual(maxSeq)
            expect(latest.get(docId)).toBe(log.seq)
          }
          // the store keeps working after the crash
          const next = await store.append('after-crash', keyUpdate('after'))
          expect(next).toBe(await store.head())
        } finally {
          await store.close()
        }
      })
    }, 60_000)
  }
})
