import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // Tests run against the core's sources (no build needed; the test-only
    // MemoryRelay, MemoryTransport and SimNetwork come from there too).
    alias: {
      '@feedmesh/core': fileURLToPath(new URL('../core/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    environment: 'happy-dom',
    testTimeout: 30_000,
  },
})
