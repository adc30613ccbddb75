// What a revision of an instance is: a change of what runs, i.e. of its Marathon app identity
// (design.md §2: service.instance.git<sha>.config<hash>). Pausing, resuming, scaling, a new bounce
// or drain method change how the same app is run, not which app, so they are no revision; undo
// restores the app-defining fields of a revision and keeps those.
import { desiredApp } from "./AppIdentity.ts"
import type { InstanceName } from "./InstanceName.ts"
import { resolveSpec } from "./ResolvedSpec.ts"
import type { ServiceInstanceSpec } from "./ServiceInstanceSpec.ts"

/** Spec fields that say how the app runs, not which app: none of them is in the app id. */
export const operationalFields = ["instances", "desiredState", "paused", "bounce", "drain"] as const satisfies ReadonlyArray<
  keyof ServiceInstanceSpec
>

/** The Marathon app id the spec runs as. */
export const appIdOf = (name: string, spec: ServiceInstanceSpec): string => desiredApp(resolveSpec(name as InstanceName, spec)).id

/** `current` running what `revision` ran: the revision's app-defining fields, the current operational ones. */
export const restoreRevision = (current: ServiceInstanceSpec, revision: ServiceInstanceSpec): ServiceInstanceSpec => {
  const restored: Record<string, unknown> = { ...revision }
  for (const field of operationalFields) {
    delete restored[field]
    if (current[field] !== undefined) restored[field] = current[field]
  }
  return restored as ServiceInstanceSpec
}
