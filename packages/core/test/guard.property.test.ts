/**
 * Randomized tests of the guard. (1) Honest histories: authors with one or
 * two devices write, edit and delete records in the documents they may
 * write to, go offline, flush their outboxes one update at a time, merged or
 * as a state diff, and receive the relay's updates in random order; every
 * upload passes and the relay ends equal to the union of all writes.
 * (2) Forgeries: semantic forgeries are refused with their rule, and random
 * byte damage is either refused or provably harmless.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  type DocId,
  followersDocId,
  parseDocId,
  postsDocId,
  roomDocId,
  threadDocId,
  userDocId,
} from '../src/docIds.js'
import { checkUpdate } from '../src/guard/checkUpdate.js'
import type { GuardResult } from '../src/guard/guardRules.js'
import { Identity } from '../src/Identity.js'
import { checkPermission, FixedRecordIds, TypesByDocKind } from '../src/permissions.js'
import { keyOfRecord, parseRecordKey, type RecordWrite, recordsOf } from '../src/recordMap.js'
import { parseRecord, type SignedRecord, sharedVerifier, signRecord } from '../src/records.js'
import type { RecordType } from '../src/schemas.js'
import { fcParams, runs } from './helpers/fuzz.js'
import { capture, encodeRaw, replicaOf, write } from './helpers/guardFixtures.js'

const ident = (n: number) => Identity.fromSecretKey(new Uint8Array(32).fill(n))
const [alice, bob, carol] = [ident(1), ident(2), ident(3)] as const
const AT = 1_700_000_000_000

const DOCS: DocId[] = [
  userDocId(alice.userId),
  postsDocId(alice.userId, '2026-01'),
  threadDocId(alice.userId, 'p1'),
  followersDocId(alice.userId),
  roomDocId(bob.userId, 'lobby'),
  threadDocId(bob.userId, 'p2'),
]

/** Device i: its author and its index (clientIDs are fixed so that runs replay). */
const DEVICES = [alice, alice, bob, bob, carol] as const

function bodyFor(type: RecordType, n: number): RecordWrite['body'] {
  switch (type) {
    case 'profile':
      return { name: `name ${n}` }
    case 'post':
      return { text: `post ${n}` }
    case 'comment':
    case 'message':
      return { text: `text ${n}` }
    case 'reaction':
      return { emoji: n % 2 === 0 ? '+1' : 'ok' }
    case 'mod':
      return { action: 'hide', target: { author: bob.userId, id: 'a' } }
    default:
      return {}
  }
}

/** Every (type, id) `author` may write into `docId`. */
function slotsFor(author: Identity, docId: DocId): Array<{ type: RecordType; id: string }> {
  const parsed = parseDocId(docId)
  const out: Array<{ type: RecordType; id: string }> = []
  for (const type of TypesByDocKind[parsed.kind]) {
    const fixed = FixedRecordIds[type]
    for (const id of fixed === undefined ? ['a', 'b'] : [fixed]) {
      if (checkPermission(parsed, author.userId, type, id) === null) out.push({ type, id })
    }
  }
  return out
}

type Command =
  | { kind: 'write'; device: number; doc: number; picks: Array<[slot: number, tomb: boolean]> }
  | { kind: 'flush'; device: number; doc: number; mode: 'each' | 'merged' | 'diff' }
  | { kind: 'deliver'; device: number; doc: number; order: number[] }
  | { kind: 'resend'; device: number; doc: number; index: number }

const device = fc.nat(DEVICES.length - 1)
const doc = fc.nat(DOCS.length - 1)
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      device,
      doc,
      picks: fc.array(fc.tuple(fc.nat(20), fc.boolean()), { minLength: 1, maxLength: 3 }),
    }),
    weight: 5,
  },
  fc.record({
    kind: fc.constant('flush' as const),
    device,
    doc,
    mode: fc.constantFrom('each' as const, 'merged' as const, 'diff' as const),
  }),
  {
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      device,
      doc,
      order: fc.array(fc.nat(50), { maxLength: 6 }),
    }),
    weight: 2,
  },
  fc.record({ kind: fc.constant('resend' as const), device, doc, index: fc.nat(50) }),
)

interface Replica {
  doc: Y.Doc
  outbox: Uint8Array[]
  delivered: Set<number>
}

async function runHistory(commands: Command[]): Promise<void> {
  const relays = DOCS.map(() => new Y.Doc())
  const logs: Uint8Array[][] = DOCS.map(() => [])
  const everything: Uint8Array[][] = DOCS.map(() => [])
  const replicas = DEVICES.map((_, d) =>
    DOCS.map((__, k): Replica => {
      const y = new Y.Doc()
      y.clientID = 1000 * (d + 1) + k
      return { doc: y, outbox: [], delivered: new Set() }
    }),
  )
  let tick = 0
  const upload = async (d: number, k: number, update: Uint8Array, expectChange?: boolean) => {
    const result = await checkUpdate(DOCS[k]!, relays[k]!, update, {
      uploader: DEVICES[d]!.userId,
    })
    if (!result.ok) throw new Error(`honest upload refused: ${result.rule}: ${result.message}`)
    if (expectChange !== undefined) expect(result.changed).toBe(expectChange)
    Y.applyUpdate(relays[k]!, update)
    if (result.changed) logs[k]!.push(update)
  }
  const flush = async (d: number, k: number, mode: 'each' | 'merged' | 'diff') => {
    const r = replicas[d]![k]!
    if (r.outbox.length === 0) return
    if (mode === 'each') for (const u of r.outbox) await upload(d, k, u, true)
    else if (mode === 'merged') await upload(d, k, Y.mergeUpdates(r.outbox), true)
    else await upload(d, k, Y.encodeStateAsUpdate(r.doc, Y.encodeStateVector(relays[k]!)), true)
    r.outbox = []
  }
  for (const c of commands) {
    const r = replicas[c.device]![c.doc]!
    const author = DEVICES[c.device]!
    const docId = DOCS[c.doc]!
    if (c.kind === 'write') {
      const slots = slotsFor(author, docId)
      if (slots.length === 0) continue
      const writes = c.picks.map(([n, tomb]): RecordWrite => {
        const slot = slots[n % slots.length]!
        return { ...slot, body: tomb ? { deleted: true } : bodyFor(slot.type, n) }
      })
      const { update } = write(r.doc, docId, author, writes, AT + tick++)
      r.outbox.push(update)
      everything[c.doc]!.push(update)
    } else if (c.kind === 'flush') {
      await flush(c.device, c.doc, c.mode)
    } else if (c.kind === 'deliver') {
      const log = logs[c.doc]!
      for (const n of c.order) {
        if (log.length === 0) break
        const i = n % log.length
        if (r.delivered.has(i)) continue
        r.delivered.add(i)
        Y.applyUpdate(r.doc, log[i]!)
      }
    } else {
      const log = logs[c.doc]!
      if (log.length > 0) await upload(c.device, c.doc, log[c.index % log.length]!, false)
    }
  }
  for (let d = 0; d < DEVICES.length; d++)
    for (let k = 0; k < DOCS.length; k++) await flush(d, k, 'each')
  for (let k = 0; k < DOCS.length; k++) {
    const union = new Y.Doc()
    for (const u of everything[k]!) Y.applyUpdate(union, u)
    const relay = relays[k]!
    expect(recordsOf(relay).toJSON()).toEqual(recordsOf(union).toJSON())
    expect(Y.equalSnapshots(Y.snapshot(relay), Y.snapshot(union))).toBe(true)
    expect(relay.store.pendingStructs).toBeNull()
    // a peer relay that has a prefix of the log catches up through a trusted diff
    const peer = new Y.Doc()
    for (const u of logs[k]!.slice(0, logs[k]!.length >> 1)) Y.applyUpdate(peer, u)
    const diff = Y.encodeStateAsUpdate(relay, Y.encodeStateVector(peer))
    const mesh = await checkUpdate(DOCS[k]!, peer, diff, { trustedPeer: true })
    if (!mesh.ok) throw new Error(`trusted diff refused: ${mesh.rule}: ${mesh.message}`)
    Y.applyUpdate(peer, diff)
    expect(Y.equalSnapshots(Y.snapshot(peer), Y.snapshot(relay))).toBe(true)
    for (let d = 0; d < DEVICES.length; d++) {
      const r = replicas[d]![k]!
      for (const u of logs[k]!) Y.applyUpdate(r.doc, u)
      expect(recordsOf(r.doc).toJSON()).toEqual(recordsOf(relay).toJSON())
    }
  }
}

describe('guard property: honest histories always pass', () => {
  it('random writes, edits, deletes, offline flushes and random delivery', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), runHistory),
      fcParams(runs(25, 400)),
    )
  }, 60_000)

  it('regression: an offline edit flushed as a diff after a second device edited', async () => {
    await runHistory([
      { kind: 'write', device: 0, doc: 1, picks: [[0, false]] },
      { kind: 'flush', device: 0, doc: 1, mode: 'each' },
      { kind: 'deliver', device: 1, doc: 1, order: [0] },
      {
        kind: 'write',
        device: 1,
        doc: 1,
        picks: [
          [0, false],
          [0, true],
        ],
      },
      { kind: 'write', device: 0, doc: 1, picks: [[0, false]] },
      { kind: 'write', device: 0, doc: 1, picks: [[0, false]] },
      { kind: 'flush', device: 1, doc: 1, mode: 'diff' },
      { kind: 'flush', device: 0, doc: 1, mode: 'diff' },
    ])
  })
})

// ---------------------------------------------------------------------------
// Forgeries

interface Base {
  thread: DocId
  posts: DocId
  relays: Record<DocId, Y.Doc>
}

async function buildBase(): Promise<Base> {
  const thread = threadDocId(alice.userId, 'p1')
  const posts = postsDocId(alice.userId, '2026-01')
  const relays: Record<DocId, Y.Doc> = { [thread]: new Y.Doc(), [posts]: new Y.Doc() }
  const put = async (docId: DocId, who: Identity, writes: RecordWrite[], deviceDoc: Y.Doc) => {
    const { update } = write(deviceDoc, docId, who, writes, AT)
    const result = await checkUpdate(docId, relays[docId]!, update, { uploader: who.userId })
    if (!result.ok) throw new Error(result.message)
    Y.applyUpdate(relays[docId]!, update)
  }
  const b = replicaOf(null, 11)
  await put(thread, bob, [{ type: 'comment', id: 'c1', body: { text: '1' } }], b)
  await put(thread, bob, [{ type: 'comment', id: 'c1', body: { text: '2' } }], b)
  const c = replicaOf(relays[thread]!, 12)
  await put(thread, carol, [{ type: 'reaction', id: 'r', body: { emoji: '+1' } }], c)
  const a = replicaOf(relays[thread]!, 13)
  await put(thread, alice, [{ type: 'mod', id: 'm', body: bodyFor('mod', 0) }], a)
  const p = replicaOf(null, 14)
  await put(posts, alice, [{ type: 'post', id: 'x', body: { text: '1' } }], p)
  await put(posts, alice, [{ type: 'post', id: 'x', body: { text: '2' } }], p)
  return { thread, posts, relays }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

type Forgery = { docId: DocId; update: Uint8Array; uploader?: string; rules: string[] }

const others = [alice, bob, carol] as const

/** Semantic forgeries built with the Yjs API on a replica of the relay. */
function forgeryArb(base: Base): fc.Arbitrary<Forgery> {
  const who = fc.constantFrom(...others)
  const nextRecord = (d: Y.Doc, by: Identity, docId: DocId, extra: Partial<SignedRecord> = {}) =>
    signRecord(by, {
      doc: docId,
      author: by.userId,
      type: docId === base.posts ? 'post' : 'comment',
      id: 'f',
      rev: 1,
      at: AT,
      yid: [d.clientID, Y.getState(d.store, d.clientID)],
      body: { text: 'forged' },
      ...extra,
    } as SignedRecord)
  const docArb = fc.constantFrom(base.thread, base.posts)
  return fc.oneof(
    // a flipped signature character
    fc.tuple(docArb, fc.nat(80), fc.nat(63)).map(([docId, pos, ch]) => ({
      docId,
      update: forgeOn(base.relays[docId]!, (d, m) => {
        const r = nextRecord(d, alice, docId)
        const old = r.sig[pos]!
        const repl = B64[ch] === old ? B64[(ch + 1) % 64]! : B64[ch]!
        m.set(keyOfRecord(r), { ...r, sig: r.sig.slice(0, pos) + repl + r.sig.slice(pos + 1) })
      }),
      uploader: alice.userId,
      rules: ['bad-signature', 'bad-record'],
    })),
    // one field changed after signing
    fc
      .tuple(docArb, fc.constantFrom('doc', 'id', 'rev', 'at', 'body', 'yid', 'author', 'type'))
      .map(([docId, field]) => ({
        docId,
        update: forgeOn(base.relays[docId]!, (d, m) => {
          const r = nextRecord(d, alice, docId)
          const changed: Record<string, unknown> = {
            doc: docId === base.posts ? base.thread : base.posts,
            id: 'g',
            rev: 2,
            at: AT + 1,
            body: { text: 'changed' },
            yid: [r.yid[0], r.yid[1] + 1],
            author: bob.userId,
            type: docId === base.posts ? 'comment' : 'reaction',
          }
          m.set(keyOfRecord(r), { ...r, [field]: changed[field] })
        }),
        uploader: alice.userId,
        rules: [
          'wrong-doc',
          'key-mismatch',
          'yid-mismatch',
          'bad-signature',
          'bad-record',
          'not-allowed',
        ],
      })),
    // a valid record under another key
    fc.tuple(docArb, fc.nat(5), fc.nat(9)).map(([docId, rev, client]) => ({
      docId,
      update: forgeOn(base.relays[docId]!, (d, m) => {
        const r = nextRecord(d, alice, docId)
        m.set(`${alice.userId}/f/${rev + 2}/${client}`, r)
      }),
      uploader: alice.userId,
      rules: ['key-mismatch'],
    })),
    // another author writing where it may not (alice's posts, a mod in her thread, blocked)
    fc
      .tuple(
        who.filter((w) => w !== alice),
        fc.nat(2),
      )
      .map(([by, variant]) => {
        const docId = variant === 0 ? base.posts : base.thread
        const update = forgeOn(base.relays[docId]!, (d, m) => {
          const r =
            variant === 1
              ? nextRecord(d, by, docId, { type: 'mod', body: bodyFor('mod', 0) })
              : nextRecord(d, by, docId)
          m.set(keyOfRecord(r), r)
        })
        return variant === 2
          ? { docId, update, uploader: by.userId, rules: ['not-allowed'], blocked: true }
          : { docId, update, uploader: by.userId, rules: ['not-allowed'] }
      }),
    // deleting an entry of another author (live or superseded-looking)
    fc.tuple(docArb, who, fc.nat(10)).map(([docId, by, n]) => {
      const update = forgeOn(base.relays[docId]!, (_, m) => {
        const keys = [...m.keys()].filter((k) => parseRecordKey(k)?.author !== by.userId)
        const key = keys[n % keys.length]
        if (key !== undefined) m.delete(key)
        else m.set('x', 1)
      })
      return { docId, update, uploader: by.userId, rules: ['foreign-delete', 'bad-record'] }
    }),
    // an author deleting its own live version (no new version)
    fc.tuple(docArb, fc.nat(10)).map(([docId, n]) => {
      const by = docId === base.posts ? alice : bob
      const update = forgeOn(base.relays[docId]!, (_, m) => {
        const keys = [...m.keys()].filter((k) => parseRecordKey(k)?.author === by.userId)
        m.delete(keys[n % keys.length]!)
      })
      return { docId, update, uploader: by.userId, rules: ['unjustified-delete'] }
    }),
    // nested or non-record content
    fc.tuple(docArb, fc.nat(5)).map(([docId, variant]) => ({
      docId,
      update: forgeOn(base.relays[docId]!, (d, m) => {
        const key = `${alice.userId}/f/1/${d.clientID}`
        if (variant === 0) m.set(key, new Y.Map())
        else if (variant === 1) m.set(key, new Y.Text('x'))
        else if (variant === 2) m.set(key, new Uint8Array(4))
        else if (variant === 3) d.getText('t').insert(0, 'x')
        else if (variant === 4) d.getMap('other').set('k', nextRecord(d, alice, docId))
        else m.set(key, new Y.Doc())
      }),
      uploader: alice.userId,
      rules: ['bad-content', 'not-record-entry'],
    })),
    // replaying an existing record: in place, in another document, or under a fresh item
    fc.tuple(docArb, fc.nat(10), fc.nat(2)).map(([docId, n, variant]) => {
      const relay = base.relays[docId]!
      const live = [...recordsOf(relay).values()] as SignedRecord[]
      const record = live[n % live.length]!
      const other = docId === base.posts ? base.thread : base.posts
      if (variant === 1) {
        return {
          docId: other,
          update: forgeOn(base.relays[other]!, (d, m) => {
            void d
            m.set(keyOfRecord(record), record)
          }),
          uploader: record.author,
          rules: ['wrong-doc'],
        }
      }
      return {
        docId,
        update: forgeOn(
          relay,
          (_, m) => m.set(variant === 0 ? keyOfRecord(record) : 'k', record),
          record.yid[0],
        ),
        uploader: record.author,
        rules: ['not-record-entry', 'key-mismatch', 'yid-mismatch'],
      }
    }),
    // a valid record at the next item id of another author's device
    fc.tuple(docArb, who, fc.nat(10)).map(([docId, pick, n]) => {
      const relay = base.relays[docId]!
      const keys = [...recordsOf(relay)._map.keys()].map((k) => parseRecordKey(k)!)
      const victim = keys[n % keys.length]!
      const by = victim.author === pick.userId ? others.find((o) => o !== pick)! : pick
      const type = docId === base.posts ? 'post' : by === alice ? 'mod' : 'comment'
      const update = forgeOn(
        relay,
        (d, m) => {
          const r = nextRecord(d, by, docId, {
            type,
            body: type === 'mod' ? bodyFor('mod', 0) : { text: 'squat' },
          })
          m.set(keyOfRecord(r), r)
        },
        victim.client,
      )
      return { docId, update, uploader: by.userId, rules: ['foreign-client', 'not-allowed'] }
    }),
    // a placeholder for another author's version, or one that is not superseded
    fc.tuple(docArb, who, fc.nat(10), fc.boolean()).map(([docId, by, n, live]) => {
      const relay = base.relays[docId]!
      const keys = [...recordsOf(relay)._map.keys()].map((k) => parseRecordKey(k)!)
      const key = keys[n % keys.length]!
      const stranger = key.author === by.userId ? others.find((o) => o !== by)! : by
      const rev = live ? key.rev + 5 : key.rev
      const update = encodeRaw([
        {
          client: 5555,
          clock: 0,
          structs: [{ kind: 'deleted', key: `${key.author}/${key.id}/${rev}/5555`, len: 1 }],
        },
      ])
      return {
        docId,
        update,
        uploader: live ? key.author : stranger.userId,
        rules: ['bad-placeholder'],
      }
    }),
  )
}

function forgeOn(
  current: Y.Doc,
  fn: (d: Y.Doc, m: Y.Map<unknown>) => void,
  clientID?: number,
): Uint8Array {
  const d = replicaOf(current, clientID)
  return capture(d, () => fn(d, recordsOf(d)))
}

/**
 * Applies an accepted update to a copy of `relay` and checks that what Yjs
 * really did is harmless: no other roots, nothing pending, every live entry
 * a valid signed record under its key and item, and every newly deleted
 * entry a superseded version of the uploader's.
 */
async function auditAccepted(
  docId: DocId,
  relay: Y.Doc,
  update: Uint8Array,
  uploader: string | undefined,
) {
  const copy = replicaOf(relay)
  const before = new Set(
    [...recordsOf(copy)._map.entries()].filter(([, item]) => !item.deleted).map(([key]) => key),
  )
  const gcBefore = countGc(copy)
  Y.applyUpdate(copy, update)
  expect([...copy.share.keys()].every((name) => name === 'records')).toBe(true)
  expect(copy.store.pendingStructs).toBeNull()
  expect(copy.store.pendingDs).toBeNull()
  expect(countGc(copy)).toBe(gcBefore)
  const top = new Map<string, number>()
  for (const key of recordsOf(copy)._map.keys()) {
    const parsed = parseRecordKey(key)
    expect(parsed).not.toBeNull()
    const slot = `${parsed!.author}/${parsed!.id}`
    top.set(slot, Math.max(top.get(slot) ?? 0, parsed!.rev))
  }
  for (const [key, item] of recordsOf(copy)._map) {
    if (item.deleted) {
      if (before.has(key)) {
        const parsed = parseRecordKey(key)!
        expect(parsed.author).toBe(uploader)
        expect(top.get(`${parsed.author}/${parsed.id}`)!).toBeGreaterThan(parsed.rev)
      }
      continue
    }
    const record = parseRecord(item.content.getContent()[0])
    expect(record).not.toBeNull()
    expect(record!.doc).toBe(docId)
    expect(keyOfRecord(record!)).toBe(key)
    expect(record!.yid).toEqual([item.id.client, item.id.clock])
    expect(await sharedVerifier.verify(record!)).toBe(true)
  }
}

function countGc(doc: Y.Doc): number {
  let n = 0
  for (const structs of doc.store.clients.values())
    for (const s of structs) if (s instanceof Y.GC) n++
  return n
}

const base = await buildBase()

describe('guard property: forgeries never pass', () => {
  const honest = [
    {
      docId: base.thread,
      uploader: bob.userId,
      update: write(replicaOf(base.relays[base.thread]!, 11), base.thread, bob, [
        { type: 'comment', id: 'c1', body: { text: '3' } },
      ]).update,
    },
    {
      docId: base.posts,
      uploader: alice.userId,
      update: (() => {
        const d = replicaOf(base.relays[base.posts]!, 14)
        write(d, base.posts, alice, [{ type: 'post', id: 'z', body: { text: 'a' } }])
        write(d, base.posts, alice, [
          { type: 'post', id: 'z', body: { text: 'b' } },
          { type: 'post', id: 'x', body: { deleted: true } },
        ])
        return Y.encodeStateAsUpdate(d, Y.encodeStateVector(base.relays[base.posts]!))
      })(),
    },
  ]

  it('the honest candidates pass', async () => {
    for (const h of honest) {
      const result = await checkUpdate(h.docId, base.relays[h.docId]!, h.update, {
        uploader: h.uploader,
      })
      expect(result).toMatchObject({ ok: true, changed: true })
    }
  })

  it('semantic forgeries are refused with their rule', async () => {
    await fc.assert(
      fc.asyncProperty(forgeryArb(base), async (forgery) => {
        const blocked = 'blocked' in forgery ? new Set([forgery.uploader!]) : undefined
        const before = Y.encodeStateVector(base.relays[forgery.docId]!)
        const result: GuardResult = await checkUpdate(
          forgery.docId,
          base.relays[forgery.docId]!,
          forgery.update,
          {
            uploader: forgery.uploader,
            blocked,
          },
        )
        expect(result.ok).toBe(false)
        if (!result.ok) expect(forgery.rules).toContain(result.rule)
        expect(Y.encodeStateVector(base.relays[forgery.docId]!)).toEqual(before)
      }),
      fcParams(runs(150, 3000)),
    )
  }, 60_000)

  it('damaged bytes are refused or harmless', async () => {
    const damage = fc.oneof(
      fc
        .tuple(
          fc.nat(honest.length - 1),
          fc.array(fc.tuple(fc.nat(5000), fc.integer({ min: 1, max: 255 })), {
            minLength: 1,
            maxLength: 3,
          }),
        )
        .map(([h, flips]) => {
          const source = honest[h]!
          const bytes = source.update.slice()
          for (const [pos, x] of flips) bytes[pos % bytes.length] = bytes[pos % bytes.length]! ^ x
          return { ...source, update: bytes }
        }),
      fc.tuple(fc.nat(honest.length - 1), fc.nat(5000)).map(([h, cut]) => {
        const source = honest[h]!
        return { ...source, update: source.update.slice(0, cut % source.update.length) }
      }),
      fc
        .tuple(fc.nat(honest.length - 1), fc.uint8Array({ maxLength: 200 }))
        .map(([h, bytes]) => ({ ...honest[h]!, update: bytes })),
    )
    await fc.assert(
      fc.asyncProperty(damage, fc.boolean(), async (forgery, asOther) => {
        const uploader = asOther ? carol.userId : forgery.uploader
        const relay = base.relays[forgery.docId]!
        const result = await checkUpdate(forgery.docId, relay, forgery.update, { uploader })
        if (result.ok) await auditAccepted(forgery.docId, relay, forgery.update, uploader)
      }),
      fcParams(runs(300, 5000)),
    )
  }, 60_000)
})
