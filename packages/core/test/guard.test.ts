import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { postsDocId, roomDocId, threadDocId, userDocId } from '../src/docIds.js'
import { checkUpdate } from '../src/guard/checkUpdate.js'
import { type GuardOptions, type GuardResult, GuardRules } from '../src/guard/guardRules.js'
import { Identity } from '../src/Identity.js'
import { keyOfRecord, listEntries, recordsOf, resolveVersions } from '../src/recordMap.js'
import {
  RecordVerifier,
  type SignedRecord,
  signRecord,
  type UnsignedRecord,
} from '../src/records.js'
import {
  capture,
  docWith,
  encodeRaw,
  forge,
  replicaOf,
  snapshotOf,
  write,
} from './helpers/guardFixtures.js'

const alice = Identity.generate()
const bob = Identity.generate()
const carol = Identity.generate()
const posts = postsDocId(alice.userId, '2026-01')
const thread = threadDocId(alice.userId, 'p1')
const room = roomDocId(alice.userId, 'lobby')
const AT = 1_700_000_000_000

function encodeSv(sv: Map<number, number>): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, sv.size)
  for (const [client, clock] of sv) {
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, clock)
  }
  return encoding.toUint8Array(e)
}

function expectRule(result: GuardResult, rule: string): void {
  expect(result).toMatchObject({ ok: false, rule })
}

/** Checks an update against `relay`, expects acceptance, applies it. */
async function accept(
  relay: Y.Doc,
  docId: string,
  update: Uint8Array,
  options: GuardOptions = {},
): Promise<SignedRecord[]> {
  const result = await checkUpdate(docId, relay, update, options)
  if (!result.ok) throw new Error(`refused: ${result.rule}: ${result.message}`)
  Y.applyUpdate(relay, update)
  return result.records
}

/** A record signed by `identity` for the next item of `doc`. */
function nextRecord(
  doc: Y.Doc,
  identity: Identity,
  fields: Partial<UnsignedRecord> & { doc: string },
): SignedRecord {
  return signRecord(identity, {
    author: identity.userId,
    type: 'comment',
    id: 'c1',
    rev: 1,
    at: AT,
    yid: [doc.clientID, Y.getState(doc.store, doc.clientID)],
    body: { text: 'hello' },
    ...fields,
  })
}

/** A relay holding alice's post `x` at rev 1 and rev 2, and the author's device. */
async function editedPost(): Promise<{ relay: Y.Doc; device: Y.Doc; v2: SignedRecord }> {
  const relay = new Y.Doc()
  const device = new Y.Doc()
  const first = write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: 'one' } }])
  await accept(relay, posts, first.update, { uploader: alice.userId })
  const second = write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: 'two' } }])
  await accept(relay, posts, second.update, { uploader: alice.userId })
  return { relay, device, v2: second.records[0]! }
}

describe('checkUpdate accepts what honest clients produce', () => {
  it('a single write, against an unknown and a known document', async () => {
    const device = new Y.Doc()
    const { update, records } = write(device, posts, alice, [
      { type: 'post', id: 'x', body: { text: 'hi' } },
    ])
    const fromNothing = await checkUpdate(posts, null, update, { uploader: alice.userId })
    expect(fromNothing).toEqual({ ok: true, changed: true, records })
    const relay = new Y.Doc()
    expect(await accept(relay, posts, update)).toEqual(records)
    expect(recordsOf(relay).get(keyOfRecord(records[0]!))).toEqual(records[0])
  })

  it('an edit: a new version and the deletion of the one it supersedes', async () => {
    const { relay, device, v2 } = await editedPost()
    expect(recordsOf(relay).toJSON()).toEqual(recordsOf(device).toJSON())
    expect(recordsOf(relay).size).toBe(1)
    expect(recordsOf(relay).get(keyOfRecord(v2))).toEqual(v2)
  })

  it('an edit on a second device of the same author (another client id)', async () => {
    const { relay, device } = await editedPost()
    const second = replicaOf(relay)
    expect(second.clientID).not.toBe(device.clientID)
    const edit = write(second, posts, alice, [{ type: 'post', id: 'x', body: { text: 'three' } }])
    expect(Y.decodeUpdate(edit.update).ds.clients.has(device.clientID)).toBe(true)
    expect(await accept(relay, posts, edit.update, { uploader: alice.userId })).toEqual(
      edit.records,
    )
    // and back on the first device, after syncing
    Y.applyUpdate(device, Y.encodeStateAsUpdate(relay))
    const fourth = write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: 'four' } }])
    await accept(relay, posts, fourth.update, { uploader: alice.userId })
    expect(resolveVersions(listEntries(relay)).map((e) => e.parsed.rev)).toEqual([4])
  })

  it('a delete (tombstone version) and several records in one transaction', async () => {
    const { relay, device } = await editedPost()
    const many = write(device, posts, alice, [
      { type: 'post', id: 'x', body: { deleted: true } },
      { type: 'post', id: 'y', body: { text: 'y' } },
      { type: 'post', id: 'z', body: { text: 'z' } },
      { type: 'post', id: 'y', body: { text: 'y2' } },
    ])
    expectRule(await checkUpdate(posts, relay, many.update), 'bad-placeholder')
    const records = await accept(relay, posts, many.update, { uploader: alice.userId })
    // y/1, written and superseded in the same transaction, arrives as a placeholder
    expect(records.map((r) => `${r.id}/${r.rev}`)).toEqual(['x/3', 'z/1', 'y/2'])
    const placeholder = Y.decodeUpdate(many.update).structs.find(
      (s) => s instanceof Y.Item && s.content instanceof Y.ContentDeleted,
    ) as Y.Item
    expect(placeholder.parentSub).toMatch(/\/y\/1\//)
    expect(recordsOf(relay).toJSON()).toEqual(recordsOf(device).toJSON())
  })

  it('Y.mergeUpdates of several honest updates', async () => {
    const device = new Y.Doc()
    const updates = [
      write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: '1' } }]).update,
      write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: '2' } }]).update,
      write(device, posts, alice, [{ type: 'post', id: 'w', body: { text: 'w' } }]).update,
      write(device, posts, alice, [{ type: 'post', id: 'x', body: { deleted: true } }]).update,
    ]
    const merged = Y.mergeUpdates(updates)
    const result = await checkUpdate(posts, null, merged, { uploader: alice.userId })
    expect(result).toMatchObject({ ok: true, changed: true })
    expect(result.ok && result.records.length).toBe(4)
    const relay = new Y.Doc()
    await accept(relay, posts, merged, { uploader: alice.userId })
    expect(recordsOf(relay).toJSON()).toEqual(recordsOf(device).toJSON())
  })

  it('a state diff carries offline-superseded versions as ContentDeleted placeholders', async () => {
    const relay = new Y.Doc()
    const device = new Y.Doc()
    write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: '1' } }])
    write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: '2' } }])
    const diff = Y.encodeStateAsUpdate(device, Y.encodeStateVector(relay))
    const [placeholder, live] = Y.decodeUpdate(diff).structs as Y.Item[]
    expect(placeholder?.content).toBeInstanceOf(Y.ContentDeleted)
    expect(placeholder?.parentSub).toMatch(/\/x\/1\//)
    expect(live?.content).toBeInstanceOf(Y.ContentAny)
    expectRule(await checkUpdate(posts, relay, diff, { uploader: bob.userId }), 'bad-placeholder')
    expectRule(await checkUpdate(posts, relay, diff), 'bad-placeholder')
    expect((await checkUpdate(posts, null, diff, { trustedPeer: true })).ok).toBe(true)
    const records = await accept(relay, posts, diff, { uploader: alice.userId })
    expect(records.map((r) => r.rev)).toEqual([2])
    expect(recordsOf(relay).toJSON()).toEqual(recordsOf(device).toJSON())
  })

  it('a diff from a second device after offline edits of the first device’s record', async () => {
    const { relay } = await editedPost()
    const second = replicaOf(relay)
    write(second, posts, alice, [{ type: 'post', id: 'x', body: { text: '3' } }])
    write(second, posts, alice, [{ type: 'post', id: 'x', body: { text: '4' } }])
    write(second, posts, alice, [{ type: 'post', id: 'n', body: { text: 'n' } }])
    write(second, posts, alice, [{ type: 'post', id: 'n', body: { deleted: true } }])
    const diff = Y.encodeStateAsUpdate(second, Y.encodeStateVector(relay))
    const records = await accept(relay, posts, diff, { uploader: alice.userId })
    expect(records.map((r) => `${r.id}/${r.rev}`)).toEqual(['x/4', 'n/2'])
    expect(recordsOf(relay).toJSON()).toEqual(recordsOf(second).toJSON())
  })

  it('a thread: comments and reactions by anyone, mod records by the owner', async () => {
    const relay = new Y.Doc()
    const b = replicaOf(relay)
    const comment = write(b, thread, bob, [{ type: 'comment', id: 'c1', body: { text: 'hi' } }])
    await accept(relay, thread, comment.update, { uploader: bob.userId })
    const c = replicaOf(relay)
    const reaction = write(c, thread, carol, [
      { type: 'reaction', id: 'r1', body: { emoji: '+1' } },
    ])
    await accept(relay, thread, reaction.update, { uploader: carol.userId })
    const a = replicaOf(relay)
    const mod = write(a, thread, alice, [
      { type: 'mod', id: 'm1', body: { action: 'hide', target: { author: bob.userId, id: 'c1' } } },
    ])
    await accept(relay, thread, mod.update, { uploader: alice.userId })
    expect(recordsOf(relay).size).toBe(3)
  })

  it('re-sent content is a no-op, accepted with changed=false', async () => {
    const { relay, device } = await editedPost()
    const whole = Y.encodeStateAsUpdate(device)
    expect(await checkUpdate(posts, relay, whole, { uploader: alice.userId })).toEqual({
      ok: true,
      changed: false,
      records: [],
    })
    // even from someone else, and unauthenticated: nothing new is nothing foreign
    expect(await checkUpdate(posts, relay, whole)).toEqual({
      ok: true,
      changed: false,
      records: [],
    })
    expect(await checkUpdate(posts, relay, Y.encodeStateAsUpdate(new Y.Doc()))).toEqual({
      ok: true,
      changed: false,
      records: [],
    })
  })

  it('never changes the current document, accepted or refused', async () => {
    const { relay, device } = await editedPost()
    const before = snapshotOf(relay)
    const next = write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: '3' } }])
    expect((await checkUpdate(posts, relay, next.update, { uploader: alice.userId })).ok).toBe(true)
    expectRule(
      await checkUpdate(posts, relay, next.update, { uploader: bob.userId }),
      'foreign-delete',
    )
    expect(snapshotOf(relay)).toBe(before)
    expect(recordsOf(relay).size).toBe(1)
  })

  it('works on a document whose record map was never opened (only applyUpdate)', async () => {
    const { relay, device } = await editedPost()
    const fresh = docWith(Y.encodeStateAsUpdate(relay))
    expect(fresh.share.get('records')).toBeDefined()
    const next = write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: '3' } }])
    expect((await checkUpdate(posts, fresh, next.update, { uploader: alice.userId })).ok).toBe(true)
  })

  it('uses the verifier it is given', async () => {
    const verifier = new RecordVerifier()
    const { update } = write(new Y.Doc(), posts, alice, [
      { type: 'post', id: 'x', body: { text: 'v' } },
    ])
    expect((await checkUpdate(posts, null, update, { verifier })).ok).toBe(true)
    expect(verifier.checked).toBe(1)
  })
})

describe('checkUpdate refuses, naming the rule', () => {
  it('bad-doc-id', async () => {
    const { update } = write(new Y.Doc(), posts, alice, [
      { type: 'post', id: 'x', body: { text: '' } },
    ])
    expectRule(await checkUpdate('p/nobody/2026-01', null, update), 'bad-doc-id')
    expectRule(await checkUpdate('', null, update), 'bad-doc-id')
  })

  it('malformed: garbage, truncation, a client in two sections', async () => {
    const { update } = write(new Y.Doc(), posts, alice, [
      { type: 'post', id: 'x', body: { text: 'm' } },
    ])
    expectRule(await checkUpdate(posts, null, Uint8Array.of(255, 255, 255)), 'malformed')
    expectRule(await checkUpdate(posts, null, update.slice(0, update.length - 20)), 'malformed')
    expectRule(await checkUpdate(posts, null, 'nope' as unknown as Uint8Array), 'malformed')
    // Y.applyUpdate keeps only the last section of a client: an empty second section
    // silently drops the first. decodeUpdate shows both, so the guard refuses it.
    const body = update.slice(1, update.length - 1) // one section, no deletions
    const client = (Y.decodeUpdate(update).structs[0] as Y.Item).id.client
    const emptySection = encodeRaw([{ client, clock: 0, structs: [] }])
    const dropped = Uint8Array.from([2, ...body, ...emptySection.slice(1)])
    expect(Y.decodeUpdate(dropped).structs).toHaveLength(1)
    expect(recordsOf(docWith(dropped)).size).toBe(0)
    expectRule(await checkUpdate(posts, null, dropped), 'malformed')
    const twice = Uint8Array.from([2, ...body, ...body, 0])
    expectRule(await checkUpdate(posts, null, twice), 'malformed')
  })

  it('gc-range', async () => {
    expectRule(
      await checkUpdate(
        posts,
        null,
        encodeRaw([{ client: 5, clock: 0, structs: [{ kind: 'gc', len: 3 }] }]),
      ),
      'gc-range',
    )
    // what Yjs makes of a deleted nested type: the children become GC structs
    const doc = new Y.Doc()
    const nested = new Y.Map<number>()
    recordsOf(doc).set('k', nested)
    nested.set('a', 1)
    recordsOf(doc).delete('k')
    const structs = Y.decodeUpdate(Y.encodeStateAsUpdate(doc)).structs
    expect(structs[0]).toBeInstanceOf(Y.Item)
    expect(structs[1]).toBeInstanceOf(Y.GC)
    expectRule(await checkUpdate(posts, null, Y.encodeStateAsUpdate(doc)), 'bad-placeholder')
    const children = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(docWith(encodeRaw([]))))
    const afterMap = new Map([[doc.clientID, 1]])
    const onlyGc = Y.diffUpdate(children, encodeSv(afterMap))
    expect(Y.decodeUpdate(onlyGc).structs.every((s) => s instanceof Y.GC)).toBe(true)
    const current = docWith(
      encodeRaw([
        { client: doc.clientID, clock: 0, structs: [{ kind: 'deleted', key: 'k', len: 1 }] },
      ]),
    )
    expectRule(await checkUpdate(posts, current, onlyGc), 'gc-range')
  })

  it('not-record-entry: other roots, nested children, arrays, implicit positions', async () => {
    expectRule(
      await checkUpdate(
        posts,
        null,
        forge(null, (d) => d.getText('t').insert(0, 'x')),
      ),
      'not-record-entry',
    )
    expectRule(
      await checkUpdate(
        posts,
        null,
        forge(null, (d) => d.getMap('other').set('k', 1)),
      ),
      'not-record-entry',
    )
    const arrayDoc = new Y.Doc()
    const pushed = capture(arrayDoc, () => arrayDoc.getArray('records').push([1]))
    expectRule(await checkUpdate(posts, null, pushed), 'not-record-entry')
    expectRule(
      await checkUpdate(
        posts,
        null,
        encodeRaw([
          {
            client: 9,
            clock: 0,
            structs: [{ kind: 'any', parent: 'other', key: 'k', values: [1] }],
          },
        ]),
      ),
      'not-record-entry',
    )
    // a child of a nested map that (somehow) exists in the document
    const current = new Y.Doc()
    const nested = new Y.Map<number>()
    recordsOf(current).set('k', nested)
    const child = forge(current, (d) => (recordsOf(d).get('k') as Y.Map<number>).set('a', 1))
    expectRule(await checkUpdate(posts, current, child), 'not-record-entry')
    // overwriting an existing key (an edit in place) has an implicit position
    const { relay, v2 } = await editedPost()
    const overwrite = forge(relay, (d, map) =>
      map.set(keyOfRecord(v2), nextRecord(d, alice, { doc: posts, type: 'post', id: 'x', rev: 2 })),
    )
    expectRule(
      await checkUpdate(posts, relay, overwrite, { uploader: alice.userId }),
      'not-record-entry',
    )
  })

  it('bad-content: nested types, text, binary, subdocuments, several values', async () => {
    const key = `${alice.userId}/x/1/1`
    const cases: Array<(d: Y.Doc, map: Y.Map<unknown>) => void> = [
      (_, map) => map.set(key, new Y.Map()),
      (_, map) => map.set(key, new Y.Text('t')),
      (_, map) => map.set(key, new Y.Array()),
      (_, map) => map.set(key, new Uint8Array([1, 2])),
      (_, map) => map.set(key, new Y.Doc()),
    ]
    for (const edit of cases)
      expectRule(await checkUpdate(posts, null, forge(null, edit)), 'bad-content')
    const two = encodeRaw([
      { client: 1, clock: 0, structs: [{ kind: 'any', key, values: [1, 2] }] },
    ])
    expectRule(await checkUpdate(posts, null, two), 'bad-content')
    // an empty entry is integrated by Yjs (zero length at the known state): refused too
    const none = encodeRaw([{ client: 1, clock: 0, structs: [{ kind: 'any', key, values: [] }] }])
    expect(docWith(none).store.clients.get(1)).toHaveLength(1)
    expectRule(await checkUpdate(posts, null, none), 'bad-content')
    const noneLater = encodeRaw([
      { client: 1, clock: 1, structs: [{ kind: 'any', key, values: [] }] },
    ])
    const one = encodeRaw([{ client: 1, clock: 0, structs: [{ kind: 'any', key, values: [1] }] }])
    expectRule(await checkUpdate(posts, docWith(one), noneLater), 'bad-content')
  })

  it('bad-record', async () => {
    const update = forge(null, (_, map) => map.set(`${alice.userId}/x/1/1`, { hello: 1 }))
    expectRule(await checkUpdate(posts, null, update), 'bad-record')
    const bodyless = forge(null, (d, map) => {
      const record = nextRecord(d, alice, {
        doc: posts,
        type: 'post',
        id: 'x',
        body: { text: 'x' },
      })
      map.set(keyOfRecord(record), { ...record, body: { text: 5 } })
    })
    expectRule(await checkUpdate(posts, null, bodyless), 'bad-record')
  })

  it('wrong-doc: a valid update replayed into another document', async () => {
    const { update } = write(new Y.Doc(), thread, bob, [
      { type: 'comment', id: 'c', body: { text: 'x' } },
    ])
    expect((await checkUpdate(thread, null, update)).ok).toBe(true)
    expectRule(await checkUpdate(room, null, update, { uploader: bob.userId }), 'wrong-doc')
    expectRule(await checkUpdate(threadDocId(alice.userId, 'p2'), null, update), 'wrong-doc')
  })

  it('key-mismatch: another key, or a key already taken', async () => {
    const renamed = forge(null, (d, map) => {
      const record = nextRecord(d, alice, {
        doc: posts,
        type: 'post',
        id: 'x',
        body: { text: 'x' },
      })
      map.set(`${alice.userId}/x/7/${d.clientID}`, record)
    })
    expectRule(await checkUpdate(posts, null, renamed), 'key-mismatch')
    const otherAuthor = forge(null, (d, map) => {
      const record = nextRecord(d, alice, { doc: thread, body: { text: 'x' } })
      map.set(`${bob.userId}/c1/1/${d.clientID}`, record)
    })
    expectRule(
      await checkUpdate(thread, null, otherAuthor, { uploader: bob.userId }),
      'key-mismatch',
    )
    // the same device writing a key it already wrote (which would delete the old item implicitly)
    const relay = new Y.Doc()
    const device = new Y.Doc()
    const first = write(device, thread, bob, [{ type: 'comment', id: 'c', body: { text: '1' } }])
    await accept(relay, thread, first.update)
    const again = encodeRaw([
      {
        client: device.clientID,
        clock: 1,
        structs: [
          {
            kind: 'any',
            key: keyOfRecord(first.records[0]!),
            values: [nextRecord(device, bob, { doc: thread, id: 'c', body: { text: '1b' } })],
          },
        ],
      },
    ])
    expectRule(await checkUpdate(thread, relay, again, { uploader: bob.userId }), 'key-mismatch')
    // two items with one key in the same update
    const rec = (clock: number) =>
      signRecord(bob, { ...first.records[0]!, yid: [77, clock] as const, rev: 1 })
    const dup = encodeRaw([
      {
        client: 77,
        clock: 0,
        structs: [
          { kind: 'any', key: keyOfRecord(rec(0)), values: [rec(0)] },
          { kind: 'any', key: keyOfRecord(rec(1)), values: [rec(1)] },
        ],
      },
    ])
    expectRule(await checkUpdate(thread, null, dup), 'key-mismatch')
  })

  it('foreign-client: another author taking a device’s next item ids', async () => {
    const relay = new Y.Doc()
    const device = new Y.Doc()
    const first = write(device, thread, bob, [{ type: 'comment', id: 'c', body: { text: '1' } }])
    await accept(relay, thread, first.update)
    // carol signs a valid record for bob's device's next item id
    const squat = forge(
      relay,
      (d, map) => {
        const record = nextRecord(d, carol, { doc: thread })
        map.set(keyOfRecord(record), record)
      },
      device.clientID,
    )
    const refused = await checkUpdate(thread, relay, squat, { uploader: carol.userId })
    expectRule(refused, 'foreign-client')
    // what it would do: Yjs silently drops bob's next write at that item id
    const harmed = docWith(Y.encodeStateAsUpdate(relay), squat)
    const next = write(device, thread, bob, [{ type: 'comment', id: 'd', body: { text: '2' } }])
    Y.applyUpdate(harmed, next.update)
    expect(recordsOf(harmed).has(keyOfRecord(next.records[0]!))).toBe(false)
    expect((await checkUpdate(thread, relay, next.update, { uploader: bob.userId })).ok).toBe(true)
    // within one update too: one device, two authors
    const a = signRecord(bob, { ...first.records[0]!, id: 'm1', yid: [501, 0] as const })
    const b = signRecord(carol, {
      ...first.records[0]!,
      author: carol.userId,
      id: 'm2',
      yid: [501, 1] as const,
    })
    const both = encodeRaw([
      {
        client: 501,
        clock: 0,
        structs: [
          { kind: 'any', key: keyOfRecord(a), values: [a] },
          { kind: 'any', key: keyOfRecord(b), values: [b] },
        ],
      },
    ])
    expectRule(await checkUpdate(thread, null, both), 'foreign-client')
  })

  it('yid-mismatch: a record signed for another item id', async () => {
    const shifted = forge(null, (d, map) => {
      const record = nextRecord(d, alice, {
        doc: posts,
        type: 'post',
        id: 'x',
        body: { text: 'x' },
      })
      const moved = signRecord(alice, { ...record, yid: [d.clientID, 3] })
      map.set(keyOfRecord(moved), moved)
    })
    expectRule(await checkUpdate(posts, null, shifted), 'yid-mismatch')
    // a valid record replayed at a later item of the same device
    const original = write(new Y.Doc(), posts, alice, [
      { type: 'post', id: 'x', body: { text: 'o' } },
    ])
    const record = original.records[0]!
    const replay = encodeRaw([
      {
        client: record.yid[0],
        clock: 0,
        structs: [
          { kind: 'skip', len: 1 },
          { kind: 'any', key: keyOfRecord(record), values: [record] },
        ],
      },
    ])
    const current = write(replicaOf(null, record.yid[0]), posts, alice, [
      { type: 'post', id: 'other', body: { text: 'other' } },
    ])
    expectRule(await checkUpdate(posts, docWith(current.update), replay), 'yid-mismatch')
  })

  it('not-allowed: wrong author, wrong type, wrong fixed id', async () => {
    const bobPost = write(new Y.Doc(), posts, bob, [{ type: 'post', id: 'x', body: { text: 'b' } }])
    const result = await checkUpdate(posts, null, bobPost.update, { uploader: bob.userId })
    expectRule(result, 'not-allowed')
    expect(!result.ok && result.message).toContain('not-owner')
    const comment = write(new Y.Doc(), posts, alice, [
      { type: 'comment', id: 'c', body: { text: 'c' } },
    ])
    const typed = await checkUpdate(posts, null, comment.update)
    expectRule(typed, 'not-allowed')
    expect(!typed.ok && typed.message).toContain('type-not-allowed')
    const profile = write(new Y.Doc(), userDocId(alice.userId), alice, [
      { type: 'profile', id: 'me', body: { name: 'A' } },
    ])
    const fixed = await checkUpdate(userDocId(alice.userId), null, profile.update)
    expect(!fixed.ok && fixed.message).toContain('bad-record-id')
  })

  it('blocked authors are refused in t/ and r/ documents, the owner never', async () => {
    const blocked = new Set([bob.userId, alice.userId])
    for (const docId of [thread, room]) {
      const type = docId === thread ? 'comment' : 'message'
      const byBob = write(new Y.Doc(), docId, bob, [{ type, id: 'c', body: { text: 'b' } }])
      const refused = await checkUpdate(docId, null, byBob.update, {
        uploader: bob.userId,
        blocked,
      })
      expectRule(refused, 'not-allowed')
      expect(!refused.ok && refused.message).toContain('blocked')
      expect((await checkUpdate(docId, null, byBob.update, { uploader: bob.userId })).ok).toBe(true)
      const byCarol = write(new Y.Doc(), docId, carol, [{ type, id: 'c', body: { text: 'c' } }])
      expect((await checkUpdate(docId, null, byCarol.update, { blocked })).ok).toBe(true)
      const byOwner = write(new Y.Doc(), docId, alice, [{ type, id: 'c', body: { text: 'a' } }])
      expect((await checkUpdate(docId, null, byOwner.update, { blocked })).ok).toBe(true)
    }
  })

  it('mod records: by the owner accepted, by anyone else refused', async () => {
    const body = { action: 'hide', target: { author: bob.userId, id: 'c1' } } as const
    for (const docId of [thread, room]) {
      const byOwner = write(new Y.Doc(), docId, alice, [{ type: 'mod', id: 'm', body }])
      expect((await checkUpdate(docId, null, byOwner.update)).ok).toBe(true)
      const byCarol = write(new Y.Doc(), docId, carol, [{ type: 'mod', id: 'm', body }])
      const refused = await checkUpdate(docId, null, byCarol.update, { uploader: carol.userId })
      expectRule(refused, 'not-allowed')
      expect(!refused.ok && refused.message).toContain('not-owner')
    }
  })

  it('bad-signature: altered content or signature', async () => {
    const altered = forge(null, (d, map) => {
      const record = nextRecord(d, alice, {
        doc: posts,
        type: 'post',
        id: 'x',
        body: { text: 'x' },
      })
      map.set(keyOfRecord(record), { ...record, body: { text: 'evil' } })
    })
    expectRule(await checkUpdate(posts, null, altered), 'bad-signature')
    const flipped = forge(null, (d, map) => {
      const record = nextRecord(d, alice, {
        doc: posts,
        type: 'post',
        id: 'x',
        body: { text: 'x' },
      })
      const c = record.sig[5] === 'A' ? 'B' : 'A'
      map.set(keyOfRecord(record), {
        ...record,
        sig: record.sig.slice(0, 5) + c + record.sig.slice(6),
      })
    })
    expectRule(await checkUpdate(posts, null, flipped), 'bad-signature')
    // bob signs a record claiming to be alice's
    const impostor = forge(null, (d, map) => {
      const record = nextRecord(d, bob, { doc: posts, type: 'post', id: 'x', body: { text: 'x' } })
      const claimed = { ...record, author: alice.userId }
      map.set(keyOfRecord(claimed), claimed)
    })
    expectRule(await checkUpdate(posts, null, impostor), 'bad-signature')
  })

  it('unjustified-delete: a live version, or something that is not a record', async () => {
    const { relay, v2 } = await editedPost()
    const undo = forge(relay, (_, map) => map.delete(keyOfRecord(v2)))
    expectRule(
      await checkUpdate(posts, relay, undo, { uploader: alice.userId }),
      'unjustified-delete',
    )
    const current = new Y.Doc()
    current.getText('t').insert(0, 'abc')
    const erase = forge(current, (d) => d.getText('t').delete(0, 1))
    expectRule(
      await checkUpdate(posts, current, erase, { uploader: alice.userId }),
      'unjustified-delete',
    )
  })

  it('foreign-delete: deleting another author’s entry, or deleting unauthenticated', async () => {
    const { relay, device, v2 } = await editedPost()
    const vandal = forge(relay, (_, map) => map.delete(keyOfRecord(v2)))
    expectRule(await checkUpdate(posts, relay, vandal, { uploader: bob.userId }), 'foreign-delete')
    const edit = write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: '3' } }])
    expectRule(
      await checkUpdate(posts, relay, edit.update, { uploader: bob.userId }),
      'foreign-delete',
    )
    expectRule(await checkUpdate(posts, relay, edit.update), 'foreign-delete')
    expect((await checkUpdate(posts, relay, edit.update, { trustedPeer: true })).ok).toBe(true)
    // a trusted peer still cannot delete what is not superseded
    expectRule(await checkUpdate(posts, relay, vandal, { trustedPeer: true }), 'unjustified-delete')
    // another author's edit, passed off by bob: the owner of a thread cannot delete a comment either
    const t = new Y.Doc()
    const b = new Y.Doc()
    await accept(
      t,
      thread,
      write(b, thread, bob, [{ type: 'comment', id: 'c', body: { text: '1' } }]).update,
    )
    const ownerDeletes = forge(t, (_, map) => {
      for (const key of [...map.keys()]) map.delete(key)
    })
    expectRule(
      await checkUpdate(thread, t, ownerDeletes, { uploader: alice.userId }),
      'foreign-delete',
    )
  })

  it('bad-placeholder: not superseded, too long, wrong device, bad key, wrong uploader', async () => {
    const key = (rev: number, client: number) => `${alice.userId}/x/${rev}/${client}`
    const raw = (structs: Parameters<typeof encodeRaw>[0][0]['structs']) =>
      encodeRaw([{ client: 40, clock: 0, structs }])
    const by = { uploader: alice.userId }
    expectRule(
      await checkUpdate(posts, null, raw([{ kind: 'deleted', key: key(1, 40), len: 1 }]), by),
      'bad-placeholder',
    )
    expectRule(
      await checkUpdate(posts, null, raw([{ kind: 'deleted', key: key(1, 40), len: 2 }]), by),
      'bad-placeholder',
    )
    expectRule(
      await checkUpdate(posts, null, raw([{ kind: 'deleted', key: 'junk', len: 1 }]), by),
      'bad-placeholder',
    )
    // superseded by a version in the document: accepted only from its author, for its device
    const { relay } = await editedPost()
    expect(
      (await checkUpdate(posts, relay, raw([{ kind: 'deleted', key: key(1, 40), len: 1 }]), by)).ok,
    ).toBe(true)
    expectRule(
      await checkUpdate(posts, relay, raw([{ kind: 'deleted', key: key(1, 41), len: 1 }]), by),
      'bad-placeholder',
    )
    expectRule(
      await checkUpdate(posts, relay, raw([{ kind: 'deleted', key: key(1, 40), len: 1 }]), {
        uploader: bob.userId,
      }),
      'bad-placeholder',
    )
    expect(
      (
        await checkUpdate(posts, relay, raw([{ kind: 'deleted', key: key(1, 40), len: 1 }]), {
          trustedPeer: true,
        })
      ).ok,
    ).toBe(true)
  })

  it('missing-dependency: clock gaps, skipped ranges, deletions of unknown items', async () => {
    const device = new Y.Doc()
    const u1 = write(device, posts, alice, [{ type: 'post', id: 'x', body: { text: '1' } }]).update
    const u2 = write(device, posts, alice, [{ type: 'post', id: 'w', body: { text: '2' } }]).update
    const u3 = write(device, posts, alice, [{ type: 'post', id: 'v', body: { text: '3' } }]).update
    expectRule(await checkUpdate(posts, null, u2), 'missing-dependency')
    const gap = Y.mergeUpdates([u1, u3])
    expect(Y.decodeUpdate(gap).structs.some((s) => s instanceof Y.Skip)).toBe(true)
    expectRule(await checkUpdate(posts, null, gap), 'missing-dependency')
    expect((await checkUpdate(posts, docWith(u1, u2), gap)).ok).toBe(true)
    const deletes = encodeRaw([], [{ client: 7, ranges: [[0, 1]] }])
    expectRule(await checkUpdate(posts, null, deletes), 'missing-dependency')
  })

  it('absurd sizes are refused without looping over them', async () => {
    const { relay, device } = await editedPost()
    const start = performance.now()
    const huge = encodeRaw([], [{ client: device.clientID, ranges: [[0, 2 ** 31]] }])
    expect((await checkUpdate(posts, relay, huge, { uploader: alice.userId })).ok).toBe(false)
    const huger = encodeRaw([], [{ client: device.clientID, ranges: [[0, 2 ** 52]] }])
    expect((await checkUpdate(posts, relay, huger, { uploader: alice.userId })).ok).toBe(false)
    const skip = encodeRaw([{ client: 3, clock: 0, structs: [{ kind: 'skip', len: 2 ** 40 }] }])
    expect(await checkUpdate(posts, relay, skip)).toEqual({ ok: true, changed: false, records: [] })
    const gc = encodeRaw([{ client: 3, clock: 0, structs: [{ kind: 'gc', len: 2 ** 40 }] }])
    expectRule(await checkUpdate(posts, relay, gc), 'gc-range')
    const many = encodeRaw(
      [],
      [
        {
          client: device.clientID,
          ranges: Array.from({ length: 20_000 }, () => [0, 1] as [number, number]),
        },
      ],
    )
    expect((await checkUpdate(posts, relay, many, { uploader: alice.userId })).ok).toBe(true)
    expect(performance.now() - start).toBeLessThan(500)
  })

  it('every rule name is a stable kebab-case string', () => {
    for (const rule of Object.values(GuardRules)) expect(rule).toMatch(/^[a-z]+(-[a-z]+)*$/)
    expect(new Set(Object.values(GuardRules)).size).toBe(Object.values(GuardRules).length)
  })

  it('capture merges several updates of one step', () => {
    const doc = new Y.Doc()
    const update = capture(doc, () => {
      recordsOf(doc).set('a', 1)
      recordsOf(doc).set('b', 2)
    })
    expect(recordsOf(docWith(update)).size).toBe(2)
  })
})
