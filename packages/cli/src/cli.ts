#!/usr/bin/env node
/**
 * The `feedmesh` executable: binds {@link runCli} to this process (argv,
 * environment, stdout/stderr, stdin, SIGINT/SIGTERM) and exits with its
 * code. See `feedmesh --help` and docs/cli.md.
 */
import type { Io } from './commandContext.js'
import { runCli } from './main.js'

// A reader that went away (`feedmesh timeline | head -n 1`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
})

const io: Io = {
  out: (text) => {
    process.stdout.write(`${text}\n`)
  },
  err: (text) => {
    process.stderr.write(`${text}\n`)
  },
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
  untilSignal: () =>
    new Promise((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        resolve(signal)
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    }),
}

const code = await runCli(process.argv.slice(2), process.env, io)
process.exitCode = code
// Everything is closed by now; should a socket linger, do not hang the shell.
setTimeout(() => process.exit(code), 2_000).unref()
