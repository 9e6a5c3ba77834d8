/** A TCP proxy that tests cut and restore to make partitions: the relay package's own helper. */
export * from '../../packages/relay/test/helpers/tcpProxy.js'
