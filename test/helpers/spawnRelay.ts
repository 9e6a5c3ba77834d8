/** Real relay processes for the cross-package tests: the relay package's own helper. */
export * from '../../packages/relay/test/helpers/spawnRelay.js'
