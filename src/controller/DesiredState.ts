// What an instance should be, as a pass sees it: a usable spec, no spec at all (tear it down), or
// a stored spec that cannot be used — undecodable, or denied by the operator's field policy. The
// last is never taken for "deleted" (design.md §11): its instance is left exactly as it is.
import { Effect, Option, Result } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import { resolveSpec } from "../domain/ResolvedSpec.ts"
import type { ResolvedSpec } from "../domain/ResolvedSpec.ts"
import { SpecStore } from "../store/SpecStore.ts"
import type { StoredInstance } from "../store/SpecStore.ts"
import { MarathonFields } from "./MarathonFields.ts"

export type Desired =
  | { readonly _tag: "Spec"; readonly stored: StoredInstance; readonly spec: ResolvedSpec }
  | { readonly _tag: "Deleted" }
  | { readonly _tag: "Unreadable"; readonly message: string }

/** Reads desired state from the spec store (the controller's is answered from its watch-fed cache). */
export const makeDesiredReader = Effect.gen(function*() {
  const specs = yield* SpecStore
  const fields = yield* MarathonFields
  // What each stored spec resolves to, once per stored object: the cached store hands out the same
  // object until the key changes, so a resync resolves nothing again. A spec read from etcd is a
  // new object each time and simply misses.
  const decided = new WeakMap<StoredInstance, Desired>()
  /** What a stored spec resolves to, without a fiber (a lock-free look has the cached object). */
  const resolve = (name: InstanceName, stored: StoredInstance): Desired => {
    const known = decided.get(stored)
    if (known !== undefined) return known
    // A spec stored before the policy tightened, or written without `apply`, still stops here.
    const denied = fields.violations(stored.spec.marathon)
    const desired: Desired = denied.length > 0
      ? { _tag: "Unreadable", message: denied.map((violation) => `${violation.path}: ${violation.message}`).join("; ") }
      : { _tag: "Spec", stored, spec: resolveSpec(name, stored.spec) }
    decided.set(stored, desired)
    return desired
  }
  const read = Effect.fnUntraced(function*(name: InstanceName) {
    const read = yield* Effect.result(specs.get(name))
    if (Result.isFailure(read)) {
      if (read.failure._tag === "CorruptSpecError") {
        return { _tag: "Unreadable", message: read.failure.message } satisfies Desired as Desired
      }
      return yield* Effect.fail(read.failure)
    }
    if (Option.isNone(read.success)) return { _tag: "Deleted" } satisfies Desired as Desired
    return resolve(name, read.success.value)
  })
  return { read, resolve }
})

/** The reader and resolver of desired state one reconciler uses. */
export type DesiredReader = Effect.Success<typeof makeDesiredReader>
