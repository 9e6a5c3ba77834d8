/**
 * K-way merge of sorted lists with a binary heap: yields the items of all
 * lists in order, reading only as far as the caller iterates. A timeline
 * takes its first page from hundreds of sorted per-document lists without
 * sorting them all together.
 */

/** An item of a merge, with the index of the list it came from. */
export interface Merged<T> {
  /** The item. */
  item: T
  /** Index of its list in the input. */
  source: number
}

/**
 * Yields the items of `lists` (each sorted by `compare`) in `compare`
 * order; ties keep the order of the lists.
 */
export function* mergeSorted<T>(
  lists: readonly (readonly T[])[],
  compare: (a: T, b: T) => number,
): Generator<Merged<T>> {
  // Heap of [list index, position], ordered by the item at that position.
  const heap: [number, number][] = []
  const itemAt = (node: [number, number]) => lists[node[0]]![node[1]]!
  const less = (a: [number, number], b: [number, number]) => {
    const c = compare(itemAt(a), itemAt(b))
    return c < 0 || (c === 0 && a[0] < b[0])
  }
  const swap = (i: number, j: number) => {
    const t = heap[i]!
    heap[i] = heap[j]!
    heap[j] = t
  }
  const down = (start: number) => {
    let i = start
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r
      if (m === i) return
      swap(i, m)
      i = m
    }
  }
  for (let s = 0; s < lists.length; s++) if (lists[s]!.length > 0) heap.push([s, 0])
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i)
  while (heap.length > 0) {
    const top = heap[0]!
    yield { item: itemAt(top), source: top[0] }
    if (top[1] + 1 < lists[top[0]]!.length) {
      heap[0] = [top[0], top[1] + 1]
    } else {
      const last = heap.pop()!
      if (heap.length === 0) break
      heap[0] = last
    }
    down(0)
  }
}
