// A FIFO of keys with O(1) removal, for the work queue's waiting lines.
// A FIFO with O(1) removal: `live` holds each queued key's sequence number, and entries whose
// number is no longer live are skipped when dequeued. (A Set used as a FIFO degrades to O(n) per
// take once its front is full of deleted slots.)
export interface Fifo {
  readonly entries: Array<{ readonly key: string; readonly seq: number }>
  head: number
  readonly live: Map<string, number>
}
export const makeFifo = (): Fifo => ({ entries: [], head: 0, live: new Map() })
export const enqueue = (fifo: Fifo, key: string, seq: number): void => {
  fifo.live.set(key, seq)
  fifo.entries.push({ key, seq })
}
export const dequeue = (fifo: Fifo): string | undefined => {
  while (fifo.head < fifo.entries.length) {
    const entry = fifo.entries[fifo.head++]!
    if (fifo.live.get(entry.key) !== entry.seq) continue
    fifo.live.delete(entry.key)
    if (fifo.head > 1024 && fifo.head * 2 > fifo.entries.length) {
      fifo.entries.splice(0, fifo.head)
      fifo.head = 0
    }
    return entry.key
  }
  fifo.entries.length = 0
  fifo.head = 0
  return undefined
}
