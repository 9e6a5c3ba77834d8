/**
 * End-to-end tests over real relay processes. `@feedmesh/core` resolves to
 * its sources (as in `tsconfig.json`), so these tests exercise the client
 * code of this checkout without a build; the relay processes run
 * `packages/relay/src/cli.ts` with tsx.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    alias: {
      '@feedmesh/core': fileURLToPath(new URL('../packages/core/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
