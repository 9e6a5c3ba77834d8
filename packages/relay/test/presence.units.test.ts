/**
 * Units of checked presence: the awareness entries read and written in
 * y-protocols' encoding, the check of a client's states against its user
 * (`awarenessCheck.ts`) and the mesh's seen-set (`mesh/AwarenessFilter.ts`).
 */
import { Identity } from '@feedmesh/core'
import { describe, expect, it } from 'vitest'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import { checkAwareness, unclaimedAwareness } from '../src/awarenessCheck.js'
import { decodeAwarenessEntries, encodeAwarenessEntries } from '../src/awarenessEntries.js'
import { AwarenessFilter } from '../src/mesh/AwarenessFilter.js'

function update(state: Record<string, unknown> | null, clientId?: number): Uint8Array {
  const awareness = new awarenessProtocol.Awareness(new Y.Doc())
  if (clientId !== undefined) awareness.clientID = clientId
  awareness.setLocalState(state)
  return awarenessProtocol.encodeAwarenessUpdate(awareness, [awareness.clientID])
}

describe('presence: awareness entries', () => {
  it('reads and writes what y-protocols encodes', () => {
    const payload = update({ user: 'x', typing: true }, 42)
    const entries = decodeAwarenessEntries(payload)
    expect(entries).toEqual([{ clientId: 42, clock: 0, json: '{"user":"x","typing":true}' }])
    expect(encodeAwarenessEntries(entries)).toEqual(payload)
    expect(() => decodeAwarenessEntries(new Uint8Array([5, 1]))).toThrow()
  })
})

describe('presence: the check against the connection user', () => {
  const me = Identity.generate().userId
  const other = Identity.generate().userId

  it('passes own states, refuses forged ones and unauthenticated ones', () => {
    const mine = update({ user: me }, 7)
    expect(checkAwareness(mine, me)).toMatchObject({ payload: mine, refusal: undefined })
    const forged = checkAwareness(update({ user: other }, 8), me)
    expect(forged.payload).toBeUndefined()
    expect(forged.refusal).toBeDefined()
    expect(checkAwareness(update({ typing: true }, 9), me).payload).toBeUndefined()
    expect(checkAwareness(mine, undefined).refusal).toBeDefined()
    expect(checkAwareness(new Uint8Array([1, 2]), me).refusal).toBeDefined()
  })

  it('passes removals on to the mesh filter', () => {
    expect(checkAwareness(update(null, 5), me)).toMatchObject({ refusal: undefined })
    expect(checkAwareness(update(null, 5), me).payload).toBeDefined()
  })

  it('keeps the accepted entries of a mixed frame', () => {
    const a = decodeAwarenessEntries(update({ user: me }, 1))
    const b = decodeAwarenessEntries(update({ user: other }, 2))
    const verdict = checkAwareness(encodeAwarenessEntries([...a, ...b]), me)
    expect(decodeAwarenessEntries(verdict.payload!)).toEqual(a)
    expect(verdict.refusal).toBeDefined()
  })

  it('drops y-websocket states that claim a feedmesh user id', () => {
    expect(unclaimedAwareness(update({ user: other }))).toBeUndefined()
    const cursor = update({ user: { name: 'ann', color: '#f00' } })
    expect(unclaimedAwareness(cursor)).toEqual(cursor)
  })
})

describe('presence: the mesh seen-set', () => {
  it('passes each (client, clock) once, and a removal at the same clock', () => {
    const filter = new AwarenessFilter()
    const at = (clock: number, json: string) => [{ clientId: 3, clock, json }]
    expect(filter.fresh('d', at(1, '{}'))).toHaveLength(1)
    expect(filter.fresh('d', at(1, '{}'))).toHaveLength(0)
    expect(filter.fresh('d', at(0, '{}'))).toHaveLength(0)
    expect(filter.fresh('other', at(1, '{}'))).toHaveLength(1)
    expect(filter.fresh('d', at(1, 'null'))).toHaveLength(1)
    expect(filter.fresh('d', at(1, 'null'))).toHaveLength(0)
    expect(filter.fresh('d', at(2, '{}'))).toHaveLength(1)
  })

  it('lets a removal through only from the user the client id last named', () => {
    const filter = new AwarenessFilter()
    expect(filter.mayRemove('d', 4, 'ann')).toBe(true)
    filter.fresh('d', [{ clientId: 4, clock: 1, json: '{"user":"ann"}' }])
    expect(filter.mayRemove('d', 4, 'ann')).toBe(true)
    expect(filter.mayRemove('d', 4, 'bob')).toBe(false)
    filter.fresh('d', [{ clientId: 4, clock: 2, json: 'null' }])
    expect(filter.mayRemove('d', 4, 'bob')).toBe(false)
  })

  it('stays bounded', () => {
    const filter = new AwarenessFilter(10)
    for (let i = 0; i < 100; i++) filter.fresh('d', [{ clientId: i, clock: 1, json: '{}' }])
    expect(filter.size).toBe(10)
  })
})
