import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { fromBase64url, toBase64url } from '../src/base64url.js'
import { loadVerifier, VerifierBackends } from '../src/ed25519.js'
import { Identity } from '../src/Identity.js'
import { listEntries, parseRecordKey, resolveVersions, writeRecords } from '../src/recordMap.js'
import { canonicalBytes, parseRecord, RecordVerifier, signRecord } from '../src/records.js'

describe('base64url', () => {
  it('round-trips every length and refuses garbage', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255)
      expect(fromBase64url(toBase64url(bytes))).toEqual(bytes)
    }
    expect(fromBase64url('ab+c')).toBeNull()
    expect(fromBase64url('a')).toBeNull()
    expect(fromBase64url('AB')).toBeNull() // non-canonical trailing bits
  })
})

describe('Identity', () => {
  it('exports and imports the same key', () => {
    const a = Identity.generate()
    const b = Identity.import(`  ${a.export()}\n`)
    expect(b.userId).toBe(a.userId)
    expect(a.userId).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const msg = new TextEncoder().encode('hello')
    expect(b.sign(msg)).toEqual(a.sign(msg))
  })

  it('refuses damaged exports with bad-identity', () => {
    const text = Identity.generate().export()
    expect(() => Identity.import('nope')).toThrow(expect.objectContaining({ code: 'bad-identity' }))
    const other = Identity.generate().userId
    expect(() => Identity.import(`${text.split('.')[0]}.${other}`)).toThrow(
      expect.objectContaining({ code: 'bad-identity' }),
    )
  })
})

describe('verification backends', () => {
  it('native and fallback agree on valid and forged signatures', async () => {
    const id = Identity.generate()
    const msg = new TextEncoder().encode('feedmesh')
    const sig = id.sign(msg)
    const forged = sig.slice()
    forged[10] = forged[10]! ^ 4
    for (const backend of Object.values(VerifierBackends)) {
      const verify = await loadVerifier(backend)
      if (backend !== VerifierBackends.WebCrypto) expect(verify).not.toBeNull()
      if (verify === null) continue
      expect(await verify(id.publicKey, msg, sig)).toBe(true)
      expect(await verify(id.publicKey, msg, forged)).toBe(false)
      expect(await verify(id.publicKey, msg, new Uint8Array(3))).toBe(false)
    }
  })
})

describe('records', () => {
  const alice = Identity.generate()
  const base = {
    doc: `u/${alice.userId}`,
    author: alice.userId,
    type: 'profile' as const,
    id: 'profile',
    rev: 1,
    at: 1_700_000_000_000,
    yid: [5, 0] as const,
    body: { name: 'Alice', bio: 'hi' },
  }

  it('canonical bytes ignore key order', () => {
    const shuffled = {
      ...(Object.fromEntries(Object.entries(base).reverse()) as typeof base),
      body: { bio: 'hi', name: 'Alice' },
    }
    expect(canonicalBytes(shuffled)).toEqual(canonicalBytes(base))
  })

  it('verifies once, caches, and never trusts a reused signature on altered content', async () => {
    const verifier = new RecordVerifier()
    const record = signRecord(alice, base)
    expect(parseRecord(record)).not.toBeNull()
    expect(await verifier.verify(record)).toBe(true)
    expect(await verifier.verify({ ...record })).toBe(true)
    expect(verifier.checked).toBe(1)
    const altered = { ...record, body: { name: 'Mallory' } }
    expect(await verifier.verify(altered)).toBe(false)
    expect(verifier.known(altered)).toBe(false)
  })

  it('schemas refuse wrong shapes', () => {
    const record = signRecord(alice, base)
    expect(parseRecord({ ...record, extra: 1 })).toBeNull()
    expect(parseRecord({ ...record, body: { name: 5 } })).toBeNull()
    expect(parseRecord({ ...record, rev: 0 })).toBeNull()
    expect(parseRecord({ ...record, body: { deleted: true } })).not.toBeNull()
    expect(parseRecord('garbage')).toBeNull()
  })
})

describe('record map', () => {
  it('an edit writes a new version and deletes the old one in one transaction', () => {
    const alice = Identity.generate()
    const doc = new Y.Doc()
    const docId = `u/${alice.userId}`
    let transactions = 0
    doc.on('afterTransaction', () => transactions++)
    const [first] = writeRecords(
      doc,
      docId,
      alice,
      [{ type: 'profile', id: 'profile', body: { name: 'A' } }],
      1,
    )
    expect(first!.yid).toEqual([doc.clientID, 0])
    const [second] = writeRecords(
      doc,
      docId,
      alice,
      [{ type: 'profile', id: 'profile', body: { name: 'B' } }],
      2,
    )
    expect(transactions).toBe(2)
    expect(second!.rev).toBe(2)
    expect(second!.yid).toEqual([doc.clientID, 1])
    const entries = listEntries(doc)
    expect(entries).toHaveLength(1)
    expect(resolveVersions(entries)[0]!.value).toEqual(second)
  })

  it('resolves concurrent versions by rev, then client, whatever the order', () => {
    const author = Identity.generate().userId
    const mk = (rev: number, client: number) => ({ parsed: { author, id: 'x', rev, client } })
    const entries = [mk(2, 5), mk(3, 1), mk(3, 9), mk(1, 100)]
    const expected = { author, id: 'x', rev: 3, client: 9 }
    expect(resolveVersions(entries)[0]!.parsed).toEqual(expected)
    expect(resolveVersions(entries.reverse())[0]!.parsed).toEqual(expected)
    expect(parseRecordKey(`${author}/x/0/1`)).toBeNull()
    expect(parseRecordKey(`${author}/x/1/1/extra`)).toBeNull()
  })
})
