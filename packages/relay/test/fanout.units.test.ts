/**
 * Units of the fan-out path: an {@link OutgoingUpdate} encodes each
 * endpoint's frame once however many subscribers take it; the metrics
 * count sends with plain additions that `/metrics` reports exactly once.
 */
import { type DocId, Identity, roomDocId } from '@feedmesh/core'
import { describe, expect, it } from 'vitest'
import { OutgoingUpdate, type UpdateFrameEncoder } from '../src/OutgoingUpdate.js'
import { Endpoints, RelayMetrics } from '../src/RelayMetrics.js'

const docId: DocId = roomDocId(Identity.generate().userId, 'units')

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  if (line === undefined) throw new Error(`no metric ${series}`)
  return Number(line.slice(series.length + 1))
}

describe('OutgoingUpdate', () => {
  it('encodes each frame once and hands the same Buffer to every taker', () => {
    const update = new Uint8Array([1, 2, 3, 4])
    const outgoing = new OutgoingUpdate(docId, update)
    const calls: string[] = []
    const a: UpdateFrameEncoder = (d, u) => {
      calls.push('a')
      expect(d).toBe(docId)
      const view = new Uint8Array(new ArrayBuffer(16), 3, u.length + 1) // a view inside a larger buffer
      view.set([9, ...u])
      return view
    }
    const b: UpdateFrameEncoder = () => {
      calls.push('b')
      return Buffer.from([7, 7])
    }
    const frames = Array.from({ length: 100 }, (_, i) => outgoing.frame(i % 2 === 0 ? a : b))
    expect(calls).toEqual(['a', 'b'])
    expect(Buffer.isBuffer(frames[0])).toBe(true)
    expect([...frames[0]!]).toEqual([9, 1, 2, 3, 4])
    expect([...frames[1]!]).toEqual([7, 7])
    for (const [i, frame] of frames.entries()) expect(frame).toBe(frames[i % 2])
    // another update encodes anew
    expect([...new OutgoingUpdate(docId, new Uint8Array([5])).frame(a)]).toEqual([9, 5])
    expect(calls).toEqual(['a', 'b', 'a'])
  })
})

describe('RelayMetrics: counted sends', () => {
  it('reports counted updates and bytes when read, each once', async () => {
    const metrics = new RelayMetrics('units_')
    for (let i = 0; i < 1000; i++) metrics.countUpdateOut(Endpoints.Feedmesh)
    for (let i = 0; i < 3; i++) metrics.countUpdateOut(Endpoints.YWebsocket)
    metrics.countBytesOut(1500)
    metrics.bytesOut.inc(500) // direct increments still add up
    let text = await metrics.registry.metrics()
    expect(metricValue(text, 'units_updates_out_total{endpoint="feedmesh"}')).toBe(1000)
    expect(metricValue(text, 'units_updates_out_total{endpoint="y-websocket"}')).toBe(3)
    expect(metricValue(text, 'units_bytes_out_total')).toBe(2000)
    // read again: nothing counted twice
    text = await metrics.registry.metrics()
    expect(metricValue(text, 'units_updates_out_total{endpoint="feedmesh"}')).toBe(1000)
    expect(metricValue(text, 'units_bytes_out_total')).toBe(2000)
    metrics.countUpdateOut(Endpoints.Feedmesh)
    metrics.countBytesOut(10)
    text = await metrics.registry.metrics()
    expect(metricValue(text, 'units_updates_out_total{endpoint="feedmesh"}')).toBe(1001)
    expect(metricValue(text, 'units_bytes_out_total')).toBe(2010)
    expect(
      (await metrics.updatesOut.get()).values.find((v) => v.labels.endpoint === 'feedmesh')?.value,
    ).toBe(1001)
  })
})
