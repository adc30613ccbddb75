// A map whose entries only move forward in etcd revision order, for caches fed both by watch
// events and by the process's own writes: a late event older than a write-through is ignored.

interface Entry<V> {
  readonly value: V | undefined
  readonly revision: bigint
}

/** A map whose entries only move forward in etcd revision order; `undefined` marks a deletion. */
export class RevisionedMap<V> {
  private readonly entries = new Map<string, Entry<V>>()
  synced = false

  set(key: string, value: V | undefined, revision: string): void {
    const at = BigInt(revision)
    const current = this.entries.get(key)
    if (current !== undefined && current.revision > at) return
    this.entries.set(key, { value, revision: at })
  }

  get(key: string): V | undefined {
    return this.entries.get(key)?.value
  }

  keys(): Array<string> {
    return [...this.entries].filter(([, entry]) => entry.value !== undefined).map(([key]) => key)
  }
}
