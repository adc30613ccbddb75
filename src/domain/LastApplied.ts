// What `apply` writes, given the manifest and the stored instance: kubectl's three-way merge,
// narrowed to the fields that something other than the manifest sets.
//
// The manifest owns the spec: a field it sets wins, a field it leaves out is absent (the default).
// The exception is the imperative fields, which `rollout pause|resume|restart` and `scale` set on
// the stored spec. Apply tells "the manifest dropped it" from "a command set it" by what it applied last,
// kept in the annotation `mdeploy.dev/last-applied` (the applied spec's canonical JSON):
//
// * the manifest sets the field                      → the manifest's value;
// * the manifest does not, but the last apply did    → removed (the manifest dropped it);
// * neither the manifest nor the last apply set it   → the stored value is kept (a command set it).
//
// A stored spec without the annotation (written before apply recorded it, or by another writer)
// counts as "the last apply set none of them", so a pause, a restart or a scale survives the first apply;
// that apply records the annotation, and from then on the rules above hold.
import { canonicalJson } from "./CanonicalJson.ts"
import type { ServiceInstance } from "./ServiceInstance.ts"
import type { ServiceInstanceSpec } from "./ServiceInstanceSpec.ts"

export const lastAppliedAnnotation = "mdeploy.dev/last-applied"

/** Spec fields the rollout verbs and scale set on the stored spec; apply keeps them unless it owns them. */
export const imperativeFields = ["paused", "forceBounce", "instances"] as const satisfies ReadonlyArray<keyof ServiceInstanceSpec>

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The spec the last apply wrote, as recorded on `instance`; undefined when none is (readable). */
export const lastAppliedSpec = (instance: Pick<ServiceInstance, "metadata">): Readonly<Record<string, unknown>> | undefined => {
  const text = instance.metadata.annotations?.[lastAppliedAnnotation]
  if (text === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(text)
    return isRecord(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

/** The document apply writes for `manifest` over `stored` (undefined: a create). */
export const mergeApplied = (manifest: ServiceInstance, stored: ServiceInstance | undefined): ServiceInstance => {
  const spec: Record<string, unknown> = { ...manifest.spec }
  if (stored !== undefined) {
    const last = lastAppliedSpec(stored) ?? {}
    for (const field of imperativeFields) {
      const current = stored.spec[field]
      if (spec[field] === undefined && !(field in last) && current !== undefined) spec[field] = current
    }
  }
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      annotations: { ...manifest.metadata.annotations, [lastAppliedAnnotation]: canonicalJson(manifest.spec) }
    },
    spec: spec as ServiceInstanceSpec
  }
}
