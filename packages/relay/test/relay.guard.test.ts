/**
 * Every guard rule, refused over the wire by a real relay process: the
 * client gets `ERROR refused` naming the rule, the document and the ref;
 * the connection stays usable (a valid write right after is acknowledged);
 * nothing refused is stored (checked after a restart on the same data).
 * Also the relay's own refusals: record size and rate limits.
 */
import {
  GuardRules,
  Identity,
  keyOfRecord,
  MessageTypes,
  postsDocId,
  type SignedRecord,
  signRecord,
  threadDocId,
  type UnsignedRecord,
  userDocId,
} from '@feedmesh/core'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RawClient, readDocs } from './helpers/RawClient.js'
import { encodeRaw, forge, liveIds, replicaOf, write } from './helpers/records.js'
import { killAllRelays, spawnRelay, tempDir } from './helpers/spawnRelay.js'

afterAll(killAllRelays)

const alice = Identity.generate()
const bob = Identity.generate()
const carol = Identity.generate()
const posts = postsDocId(alice.userId, '2026-01')
const thread = threadDocId(alice.userId, 'p1')
const profile = userDocId(alice.userId)
const AT = 1_700_000_000_000

/** A record signed by `identity` for the next item of `doc`. */
function nextRecord(
  doc: Y.Doc,
  identity: Identity,
  fields: Partial<UnsignedRecord> & { doc: string },
): SignedRecord {
  return signRecord(identity, {
    author: identity.userId,
    type: 'post',
    id: 'x',
    rev: 1,
    at: AT,
    yid: [doc.clientID, Y.getState(doc.store, doc.clientID)],
    body: { text: 'hello' },
    ...fields,
  })
}

describe('relay: the guard over the wire', () => {
  it('refuses every rule with the right error, stays usable, stores nothing refused', async () => {
    const data = tempDir()
    const relay = await spawnRelay({ data })
    const a = await RawClient.open(relay.url, alice)
    const b = await RawClient.open(relay.url, bob)
    const c = await RawClient.open(relay.url, carol)

    // honest state: alice's post x edited once, bob's comment, alice blocks carol
    const postDevice = new Y.Doc()
    const threadDevice = new Y.Doc()
    const userDevice = new Y.Doc()
    const honest = [
      [a, posts, write(postDevice, posts, alice, [{ type: 'post', id: 'x', body: { text: '1' } }])],
      [a, posts, write(postDevice, posts, alice, [{ type: 'post', id: 'x', body: { text: '2' } }])],
      [
        b,
        thread,
        write(threadDevice, thread, bob, [{ type: 'comment', id: 'c', body: { text: 'b' } }]),
      ],
      [
        a,
        profile,
        write(userDevice, profile, alice, [{ type: 'block', id: carol.userId, body: {} }]),
      ],
    ] as const
    for (const [client, docId, { update }] of honest) {
      expect(await client.write(docId, update)).toEqual({ ok: true })
    }
    const v2 = honest[1][2].records[0]!
    const key = (rev: number, client: number) => `${alice.userId}/x/${rev}/${client}`

    const clients = new Map([
      [alice, a],
      [bob, b],
    ])
    const cases: [string, Identity, string, Uint8Array][] = [
      [GuardRules.BadDocId, alice, 'p/nobody/2026-01', honest[0][2].update],
      [GuardRules.Malformed, alice, posts, Uint8Array.of(255, 255, 255)],
      [
        GuardRules.MissingDependency,
        alice,
        posts,
        (() => {
          const d = new Y.Doc()
          write(d, posts, alice, [{ type: 'post', id: 'g1', body: { text: '1' } }])
          return write(d, posts, alice, [{ type: 'post', id: 'g2', body: { text: '2' } }]).update
        })(),
      ],
      [
        GuardRules.GcRange,
        alice,
        posts,
        encodeRaw([{ client: 5, clock: 0, structs: [{ kind: 'gc', len: 3 }] }]),
      ],
      [GuardRules.NotRecordEntry, alice, posts, forge(null, (d) => d.getMap('other').set('k', 1))],
      [
        GuardRules.BadContent,
        alice,
        posts,
        encodeRaw([
          { client: 1, clock: 0, structs: [{ kind: 'any', key: key(1, 1), values: [1, 2] }] },
        ]),
      ],
      [
        GuardRules.BadRecord,
        alice,
        posts,
        forge(null, (_, map) => map.set(key(1, 1), { hello: 1 })),
      ],
      [
        GuardRules.WrongDoc,
        bob,
        threadDocId(alice.userId, 'p2'),
        write(new Y.Doc(), thread, bob, [{ type: 'comment', id: 'w', body: { text: 'w' } }]).update,
      ],
      [
        GuardRules.KeyMismatch,
        alice,
        posts,
        forge(null, (d, map) => {
          map.set(
            `${alice.userId}/y/7/${d.clientID}`,
            nextRecord(d, alice, { doc: posts, id: 'y' }),
          )
        }),
      ],
      [
        GuardRules.ForeignClient,
        alice,
        thread,
        forge(
          threadDevice,
          (d, map) => {
            const record = nextRecord(d, alice, {
              doc: thread,
              type: 'comment',
              id: 'sq',
              body: { text: 's' },
            })
            map.set(keyOfRecord(record), record)
          },
          threadDevice.clientID,
        ),
      ],
      [
        GuardRules.YidMismatch,
        alice,
        posts,
        forge(null, (d, map) => {
          const moved = signRecord(alice, {
            ...nextRecord(d, alice, { doc: posts, id: 'y' }),
            yid: [d.clientID, 3],
          })
          map.set(keyOfRecord(moved), moved)
        }),
      ],
      [
        GuardRules.NotAllowed,
        bob,
        posts,
        write(new Y.Doc(), posts, bob, [{ type: 'post', id: 'b', body: { text: 'b' } }]).update,
      ],
      [
        GuardRules.UnjustifiedDelete,
        alice,
        posts,
        forge(replicaOf(postDevice), (_, map) => map.delete(keyOfRecord(v2))),
      ],
      [
        GuardRules.ForeignDelete,
        bob,
        posts,
        forge(replicaOf(postDevice), (_, map) => map.delete(keyOfRecord(v2))),
      ],
      [
        GuardRules.BadSignature,
        alice,
        posts,
        forge(null, (d, map) => {
          const record = nextRecord(d, alice, { doc: posts, id: 'z' })
          map.set(keyOfRecord(record), { ...record, body: { text: 'evil' } })
        }),
      ],
      [
        GuardRules.BadPlaceholder,
        alice,
        posts,
        encodeRaw([
          { client: 40, clock: 0, structs: [{ kind: 'deleted', key: key(9, 40), len: 1 }] },
        ]),
      ],
    ]
    expect(new Set(cases.map(([rule]) => rule))).toEqual(new Set(Object.values(GuardRules)))

    let n = 0
    for (const [rule, who, docId, update] of cases) {
      const client = clients.get(who)!
      const result = await client.write(docId, update)
      expect(result, rule).toMatchObject({
        ok: false,
        error: { type: MessageTypes.Error, code: 'refused', rule, docId },
      })
      if (!result.ok) expect(result.error.message.length).toBeGreaterThan(0)
      // still usable: a valid write of this client is acknowledged right after
      const ok = write(new Y.Doc(), thread, who, [
        { type: 'comment', id: `after-${n++}`, body: { text: 'still here' } },
      ])
      expect(await client.write(thread, ok.update), `write after ${rule}`).toEqual({ ok: true })
    }

    // blocked: carol may not comment in alice's thread (alice blocked her in u/alice)
    const blocked = await c.write(
      thread,
      write(new Y.Doc(), thread, carol, [{ type: 'comment', id: 'c', body: { text: 'c' } }]).update,
    )
    expect(blocked).toMatchObject({ ok: false, error: { code: 'refused', rule: 'not-allowed' } })
    if (!blocked.ok) expect(blocked.error.message).toContain('blocked')
    await c.ping()

    // nothing refused was stored: after a restart, exactly the honest records are there
    const expected = new Map([
      [posts, new Set([`${alice.userId}/x`])],
      [profile, new Set([`${alice.userId}/${carol.userId}`])],
    ])
    await a.close()
    await b.close()
    await c.close()
    expect((await relay.kill('SIGTERM')).code).toBe(0)
    const again = await spawnRelay({ data })
    const docs = await readDocs(again.url, [
      posts,
      profile,
      thread,
      threadDocId(alice.userId, 'p2'),
      'p/nobody/2026-01',
    ])
    for (const [docId, ids] of expected) expect(liveIds(docs.get(docId)!), docId).toEqual(ids)
    expect(Y.encodeStateVector(docs.get(posts)!)).toEqual(Y.encodeStateVector(postDevice))
    const threadIds = liveIds(docs.get(thread)!)
    expect(threadIds.has(`${carol.userId}/c`)).toBe(false)
    expect(threadIds.size).toBe(1 + cases.length)
    expect(liveIds(docs.get(threadDocId(alice.userId, 'p2'))!).size).toBe(0)
  })

  it('refuses records above the size limit and writes above the rate limits', async () => {
    const relay = await spawnRelay({
      args: ['--max-record-bytes', '600', '--conn-rate', '5', '--conn-burst', '5'],
    })
    const a = await RawClient.open(relay.url, alice)
    const big = write(new Y.Doc(), posts, alice, [
      { type: 'post', id: 'big', body: { text: 'x'.repeat(800) } },
    ])
    expect(await a.write(posts, big.update)).toMatchObject({
      ok: false,
      error: { code: 'record-too-large', docId: posts },
    })
    // 4 tokens left of the burst of 5, then rate-limited
    const device = new Y.Doc()
    const refs = Array.from({ length: 12 }, (_, i) =>
      a.update(
        posts,
        write(device, posts, alice, [{ type: 'post', id: `r${i}`, body: { text: 'r' } }]).update,
      ),
    )
    const results = await Promise.all(refs.map((ref) => a.result(ref)))
    const limited = results.filter((r) => !r.ok && r.error.code === 'rate-limited')
    expect(limited.length).toBeGreaterThanOrEqual(6)
    expect(results.slice(0, 4).every((r) => r.ok)).toBe(true)
    await a.ping()
    // after a pause the bucket refilled: writes go through again (a fresh doc, no missing dependency)
    await new Promise((resolve) => setTimeout(resolve, 1200))
    const later = write(new Y.Doc(), posts, alice, [
      { type: 'post', id: 'later', body: { text: 'l' } },
    ])
    expect(await a.write(posts, later.update)).toEqual({ ok: true })
  })
})
