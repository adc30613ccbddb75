// The work queue's delayed adds, ordered by ready time.
// A binary min-heap of delayed adds by ready time (ties in arrival order). A key whose delay is
// shortened gets a second entry; the stale one is skipped because it no longer matches `delayed`.
export interface Timed {
  readonly key: string
  readonly readyAt: number
  readonly seq: number
}
const earlier = (a: Timed, b: Timed) => a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq)
export const heapPush = (heap: Array<Timed>, entry: Timed): void => {
  let i = heap.push(entry) - 1
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (!earlier(heap[i]!, heap[parent]!)) return
    ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
    i = parent
  }
}
export const heapPop = (heap: Array<Timed>): void => {
  const last = heap.pop()
  if (last === undefined || heap.length === 0) return
  heap[0] = last
  for (let i = 0;;) {
    const left = 2 * i + 1
    const right = left + 1
    let least = i
    if (left < heap.length && earlier(heap[left]!, heap[least]!)) least = left
    if (right < heap.length && earlier(heap[right]!, heap[least]!)) least = right
    if (least === i) return
    ;[heap[i], heap[least]] = [heap[least]!, heap[i]!]
    i = least
  }
}
