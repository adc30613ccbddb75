// Service ports (spec §8): Marathon assigns every port-0 definition a cluster-unique port from
// 10000–20000 in allocation order, and keeps an app's ports across updates. When the range is
// exhausted the emulator wraps around (duplicates) rather than refusing the app.
import { isObject, type Json, type JsonObject } from "./Shape.ts"
import { portMappingsOf, servicePortsOf } from "./AppDef.ts"
import type { Draft } from "./AppNormalizer.ts"

const min = 10000
const max = 20000

export class ServicePorts {
  private readonly used = new Map<number, number>()
  private next = min

  private take(): number {
    for (let n = 0; n <= max - min; n++) {
      const port = this.next
      this.next = this.next >= max ? min : this.next + 1
      if (!this.used.has(port)) return port
    }
    const port = this.next
    this.next = this.next >= max ? min : this.next + 1
    return port
  }

  private hold(ports: ReadonlyArray<number>, delta: 1 | -1): void {
    for (const p of ports) {
      if (p === 0) continue
      const n = (this.used.get(p) ?? 0) + delta
      if (n <= 0) this.used.delete(p)
      else this.used.set(p, n)
    }
  }

  /** Fills port-0 entries, reusing the previous definition's port at the same index. */
  assign(draft: Draft, previous: JsonObject | undefined): Draft {
    const before = previous === undefined ? [] : servicePortsOf(previous)
    const current = servicePortsOf(draft)
    if (!current.includes(0)) return draft
    const reused = new Set(before)
    const ports = current.map((p, i) => {
      if (p !== 0) return p
      const old = before[i]
      if (old !== undefined && old !== 0 && reused.has(old)) {
        reused.delete(old)
        return old
      }
      return this.take()
    })
    const mappings = portMappingsOf(draft)
    if (mappings !== undefined) {
      const container = draft["container"] as JsonObject
      return { ...draft, container: { ...container, portMappings: mappings.map((m, i) => ({ ...m, servicePort: ports[i]! })) } }
    }
    const pds = (draft["portDefinitions"] as ReadonlyArray<Json>).map((p, i) => (isObject(p) ? { ...p, port: ports[i]! } : p))
    return { ...draft, portDefinitions: pds }
  }

  /** Records that `next` replaces `previous` (either may be absent). */
  swap(previous: JsonObject | undefined, next: JsonObject | undefined): void {
    if (next !== undefined) this.hold(servicePortsOf(next), 1)
    if (previous !== undefined) this.hold(servicePortsOf(previous), -1)
  }
}
