/**
 * Runs the usage example of the root README.md and checks every line it
 * logs against the `// → expected` comment on the same line.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it, vi } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))

it('the README usage example runs and prints what it says', async () => {
  const readme = readFileSync(join(here, '../../../README.md'), 'utf8')
  const block = /```ts example\n([\s\S]*?)```/.exec(readme)?.[1]
  expect(block, 'README.md has a ```ts example block').toBeDefined()
  const expected = [...block!.matchAll(/console\.log\(.*\) \/\/ → (.*)$/gm)].map((m) => m[1])
  expect(expected.length).toBeGreaterThan(0)

  const dir = join(here, '.generated')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'readmeExample.ts')
  writeFileSync(file, block!.replace("'@feedmesh/core'", "'../../src/index.js'"))

  const logged: string[] = []
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logged.push(args.map(String).join(' '))
  })
  try {
    await import(/* @vite-ignore */ file)
  } finally {
    spy.mockRestore()
  }
  expect(logged).toEqual(expected)
})
