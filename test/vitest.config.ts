/**
 * End-to-end tests over real relay processes. `@feedmesh/core` resolves to
 * its sources (as in `tsconfig.json`), so these tests exercise the client
 * code of this checkout without a build; the relay processes run
 * `packages/relay/src/cli.ts` with tsx. Two projects: `e2e` (FeedClients in
 * Node) and `browser` (the example app's build in Chromium, see
 * browser/browserUser.ts), whose steps wait on real browsers and get longer
 * timeouts.
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
    exclude: ['node_modules/**'],
    projects: [
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['browser/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
