/**
 * Ed25519 signing and verification.
 *
 * Signing uses @noble/curves everywhere: Ed25519 signatures are
 * deterministic, so a browser and a Node process produce identical bytes, and
 * a synchronous signer lets a write land in the local replica before the call
 * returns. Verification is the hot path (every record of every document read
 * or relayed), so it uses the platform's native Ed25519: `node:crypto` in
 * Node, WebCrypto in browsers, and the pure-JS verifier only where neither
 * works. The backend is chosen once, by verifying a known signature.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { toBase64url } from './base64url.js'

/** Names of the verification backends, fastest first. */
export const VerifierBackends = {
  Node: 'node:crypto',
  WebCrypto: 'webcrypto',
  Noble: 'noble',
} as const

/** One of {@link VerifierBackends}. */
export type VerifierBackend = (typeof VerifierBackends)[keyof typeof VerifierBackends]

/** Verifies one Ed25519 signature; resolves `false` for any malformed input. */
export type VerifyFn = (
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
) => Promise<boolean>

/** Generates a fresh 32-byte Ed25519 secret key (seed). */
export function randomSecretKey(): Uint8Array {
  return ed25519.utils.randomSecretKey()
}

/** The 32-byte public key of a secret key. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey)
}

/** Signs `message` with `secretKey`; synchronous and deterministic. */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey)
}

const nobleVerify: VerifyFn = async (publicKey, message, signature) => {
  try {
    return ed25519.verify(signature, message, publicKey)
  } catch {
    return false
  }
}

interface NodeCryptoModule {
  createPublicKey(input: { key: { kty: string; crv: string; x: string }; format: 'jwk' }): unknown
  verify(
    algorithm: null,
    data: Uint8Array,
    key: unknown,
    signature: Uint8Array,
    callback: (error: Error | null, ok: boolean) => void,
  ): void
}

function makeNodeVerify(nodeCrypto: NodeCryptoModule): VerifyFn {
  const keys = new Map<string, unknown>()
  return async (publicKey, message, signature) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false
    const x = toBase64url(publicKey)
    let key = keys.get(x)
    try {
      if (key === undefined) {
        key = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
        if (keys.size > 10_000) keys.clear()
        keys.set(x, key)
      }
    } catch {
      return false
    }
    // The callback form runs in libuv's thread pool: it keeps the event loop
    // free and verifies on every core (about twice the synchronous rate on 2 cores).
    return new Promise<boolean>((resolve) => {
      try {
        nodeCrypto.verify(null, message, key, signature, (error, ok) => resolve(!error && ok))
      } catch {
        resolve(false)
      }
    })
  }
}

function makeWebCryptoVerify(subtle: SubtleCrypto): VerifyFn {
  const keys = new Map<string, Promise<CryptoKey>>()
  return async (publicKey, message, signature) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false
    const id = toBase64url(publicKey)
    let key = keys.get(id)
    if (key === undefined) {
      key = subtle.importKey('raw', publicKey as BufferSource, { name: 'Ed25519' }, false, [
        'verify',
      ])
      if (keys.size > 10_000) keys.clear()
      keys.set(id, key)
    }
    try {
      return await subtle.verify(
        { name: 'Ed25519' },
        await key,
        signature as BufferSource,
        message as BufferSource,
      )
    } catch {
      keys.delete(id)
      return false
    }
  }
}

/** Returns a verify function for a named backend, or `null` where it is not available. */
export async function loadVerifier(backend: VerifierBackend): Promise<VerifyFn | null> {
  let candidate: VerifyFn | null = null
  if (backend === VerifierBackends.Noble) return nobleVerify
  if (backend === VerifierBackends.Node) {
    const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string'
    if (!isNode) return null
    try {
      const mod = (await import(/* @vite-ignore */ 'node:crypto')) as unknown as NodeCryptoModule
      candidate = makeNodeVerify(mod)
    } catch {
      return null
    }
  } else {
    const subtle = globalThis.crypto?.subtle
    if (subtle === undefined) return null
    candidate = makeWebCryptoVerify(subtle)
  }
  return (await selfTest(candidate)) ? candidate : null
}

async function selfTest(verify: VerifyFn): Promise<boolean> {
  const secret = new Uint8Array(32).fill(7)
  const message = new TextEncoder().encode('feedmesh self-test')
  const publicKey = publicKeyOf(secret)
  const signature = sign(secret, message)
  const forged = signature.slice()
  forged[0] = forged[0]! ^ 1
  try {
    return (
      (await verify(publicKey, message, signature)) && !(await verify(publicKey, message, forged))
    )
  } catch {
    return false
  }
}

let best: Promise<{ backend: VerifierBackend; verify: VerifyFn }> | undefined

/** The fastest working verifier of this platform, chosen once and then reused. */
export function bestVerifier(): Promise<{ backend: VerifierBackend; verify: VerifyFn }> {
  best ??= (async () => {
    for (const backend of [VerifierBackends.Node, VerifierBackends.WebCrypto]) {
      const verify = await loadVerifier(backend)
      if (verify !== null) return { backend, verify }
    }
    return { backend: VerifierBackends.Noble, verify: nobleVerify }
  })()
  return best
}

/** Verifies one signature with the platform's best backend. */
export async function verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return (await bestVerifier()).verify(publicKey, message, signature)
}
