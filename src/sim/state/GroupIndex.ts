// Marathon's group tree is implicit here: a group exists while an app lives below it (or it was
// created explicitly through /v2/groups). The index answers "is X a group?" and "which apps are
// under X?" without scanning every app on hot paths.
import { ancestors } from "../ids/PathId.ts"

export class GroupIndex {
  private readonly counts = new Map<string, number>()
  /** Groups created explicitly (POST /v2/groups), which exist even when empty. */
  readonly explicit = new Set<string>()

  add(appId: string): void {
    for (const g of ancestors(appId)) this.counts.set(g, (this.counts.get(g) ?? 0) + 1)
  }

  remove(appId: string): void {
    for (const g of ancestors(appId)) {
      const n = (this.counts.get(g) ?? 0) - 1
      if (n <= 0) this.counts.delete(g)
      else this.counts.set(g, n)
    }
  }

  has(groupId: string): boolean {
    return groupId === "/" || this.counts.has(groupId) || this.explicit.has(groupId)
  }

  /** Every group id (root excluded), sorted. */
  all(): Array<string> {
    const ids = new Set([...this.counts.keys(), ...this.explicit])
    for (const g of this.explicit) for (const a of ancestors(g)) ids.add(a)
    return [...ids].sort()
  }
}
