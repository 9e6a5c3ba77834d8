/**
 * A seeded social workload for mesh tests: devices create and edit posts,
 * delete some, comment on each other's threads, follow each other (the
 * `follow` record and the follower edge), and two devices of one user edit
 * the same posts concurrently. Plus the check that every acknowledged
 * write is present in a replica (its record at the acknowledged `rev` or
 * a later one).
 */
import {
  type DocId,
  followersDocId,
  listEntries,
  postsDocId,
  resolveVersions,
  threadDocId,
  userDocId,
} from '@feedmesh/core'
import * as prng from 'lib0/prng'
import * as Y from 'yjs'
import type { Device } from './Device.js'

/** Operations run per device so far (ids stay unique across calls). */
const postCount = new WeakMap<Device, number>()

/** The month every post of the workload goes to. */
export const MONTH = '2026-01'

/** A device's posts document. */
export function postsOf(device: Device): DocId {
  return postsDocId(device.identity.userId, MONTH)
}

/** Writes the starting state: each device's profile and a first post, and the shared post of `pair`. */
export function seedWorkload(devices: readonly Device[], pair?: [Device, Device]): void {
  for (const device of devices) {
    if (pair !== undefined && device === pair[1]) continue
    device.write(userDocId(device.identity.userId), [
      { type: 'profile', id: 'profile', body: { name: device.name } },
    ])
    device.write(postsOf(device), [
      { type: 'post', id: 'first', body: { text: `first post of ${device.name}` } },
      { type: 'post', id: 'shared', body: { text: 'edited from two devices' } },
    ])
  }
}

/** The second device of a pair takes the first one's replicas (before they part). */
export function adoptPair(pair: [Device, Device]): void {
  const [a, b] = pair
  for (const docId of a.docs.keys()) b.adopt(a, docId)
}

/**
 * Runs `ops` seeded operations per device (each device writes to its own
 * relay: whatever the links, these land on both sides of a partition).
 */
export function runWorkload(gen: prng.PRNG, devices: readonly Device[], ops: number): number {
  let writes = 0
  for (let i = 0; i < ops; i++) {
    for (const device of devices) {
      const me = device.identity.userId
      const others = devices.filter((d) => d.identity.userId !== me)
      const other = others.length > 0 ? prng.oneOf(gen, others) : device
      const n = (postCount.get(device) ?? 0) + 1
      postCount.set(device, n)
      const op = prng.int32(gen, 0, 9)
      if (op <= 2) {
        device.write(postsOf(device), [
          { type: 'post', id: `p${n}-${device.name}`, body: { text: `post ${n}` } },
        ])
      } else if (op <= 4) {
        device.write(postsOf(device), [
          { type: 'post', id: 'shared', body: { text: `${device.name} edit ${n}` } },
        ])
      } else if (op === 5) {
        device.write(postsOf(device), [
          { type: 'post', id: `gone${n}`, body: { text: 'short-lived' } },
        ])
        device.write(postsOf(device), [{ type: 'post', id: `gone${n}`, body: { deleted: true } }])
        writes++
      } else if (op <= 7) {
        device.write(threadDocId(other.identity.userId, 'first'), [
          { type: 'comment', id: `c${n}-${device.name}`, body: { text: `comment ${n}` } },
        ])
      } else if (op === 8) {
        device.write(userDocId(me), [{ type: 'follow', id: other.identity.userId, body: {} }])
        device.write(followersDocId(other.identity.userId), [
          { type: 'follower', id: 'edge', body: {} },
        ])
        writes++
      } else {
        device.write(threadDocId(other.identity.userId, 'first'), [
          { type: 'reaction', id: `r-${device.name}`, body: { emoji: n % 2 === 0 ? '+1' : '<3' } },
        ])
      }
      writes++
    }
  }
  return writes
}

/** Every document any device wrote. */
export function docsOf(devices: readonly Device[]): DocId[] {
  return [...new Set(devices.flatMap((device) => [...device.docs.keys()]))].sort()
}

/** The acknowledged writes missing from `docs` (record at the acknowledged rev or later), as text. */
export function missingAcked(
  devices: readonly Device[],
  docs: ReadonlyMap<DocId, Y.Doc>,
): string[] {
  const missing: string[] = []
  for (const device of devices) {
    for (const [key, rev] of device.acked) {
      const space = key.indexOf(' ')
      const docId = key.slice(0, space)
      const slot = key.slice(space + 1)
      const doc = docs.get(docId)
      const found =
        doc === undefined
          ? undefined
          : resolveVersions(listEntries(doc)).find(
              (e) => `${e.parsed.author}/${e.parsed.id}` === slot,
            )
      if (found === undefined || found.parsed.rev < rev) {
        missing.push(
          `${device.name} ${docId} ${slot} rev ${rev} (have ${found?.parsed.rev ?? 'none'})`,
        )
      }
    }
    // every acknowledged record's Yjs item is known (live, or deleted by a later version)
    for (const [docId, items] of device.ackedItems) {
      const doc = docs.get(docId)
      const clocks =
        doc === undefined
          ? new Map<number, number>()
          : Y.decodeStateVector(Y.encodeStateVector(doc))
      for (const [client, clock] of items) {
        if ((clocks.get(client) ?? 0) <= clock) {
          missing.push(`${device.name} ${docId} item ${client}:${clock}`)
        }
      }
    }
  }
  return missing
}
