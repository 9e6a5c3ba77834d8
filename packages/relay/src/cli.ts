#!/usr/bin/env node
/**
 * `feedmesh-relay`: the relay's command-line entry, a thin layer over
 * `startRelay` (flags and environment variables in `cliArgs.ts`). Prints
 * one JSON line (url, httpUrl, publicKey, name, epoch, pid) on stdout once
 * listening; logs go to stderr. SIGTERM and SIGINT drain and exit 0.
 */
import { helpText, parseCli, UsageError } from './cliArgs.js'
import { createLogger } from './logger.js'
import { loadRelayKey } from './relayKey.js'
import { startRelay } from './startRelay.js'

async function main(): Promise<number> {
  let command: ReturnType<typeof parseCli>
  try {
    command = parseCli(process.argv.slice(2), process.env)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`feedmesh-relay: ${error.message}\n`)
    return 2
  }
  if (command.command === 'help') {
    process.stdout.write(helpText())
    return 0
  }
  if (command.command === 'key') {
    process.stdout.write(`${loadRelayKey(command.data).userId}\n`)
    return 0
  }
  const { options, logLevel } = command
  const logger = createLogger(options.name ?? 'feedmesh-relay', logLevel)
  process.on('uncaughtException', (error) => logger.error({ err: error }, 'uncaught exception'))
  process.on('unhandledRejection', (error) => logger.error({ err: error }, 'unhandled rejection'))
  const relay = await startRelay({ ...options, logger })
  const { url, httpUrl, publicKey, name, epoch } = relay
  process.stdout.write(
    `${JSON.stringify({ url, httpUrl, publicKey, name, epoch, pid: process.pid })}\n`,
  )
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping')
      relay.close().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'close failed')
          resolve(1)
        },
      )
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `feedmesh-relay: ${error instanceof Error ? error.message : String(error)}\n`,
    )
    process.exit(1)
  },
)
