// The operator's Marathon field policy as the controller sees it: loaded once at start (from
// --marathon-field-policy or MDEPLOY_MARATHON_FIELD_POLICY) and asked for every instance before
// anything of it is planned, so a spec stored before the policy tightened, or written to etcd
// without `mdeploy apply`, still cannot reach Marathon with a denied field.
import { Context, Layer } from "effect"
import type { MarathonFieldPolicy, MarathonFieldViolation } from "../domain/MarathonFieldPolicy.ts"
import { defaultMarathonFieldPolicy, marathonFieldViolations } from "../domain/MarathonFieldPolicy.ts"

export class MarathonFields extends Context.Service<MarathonFields, {
  readonly policy: MarathonFieldPolicy
  /** The fields of one instance's spec.marathon the policy refuses; empty = may be reconciled. */
  readonly violations: (specMarathon: Readonly<Record<string, unknown>> | undefined) => ReadonlyArray<MarathonFieldViolation>
}>()("mdeploy/controller/MarathonFields") {
  static readonly layer = (policy: MarathonFieldPolicy) =>
    Layer.succeed(
      MarathonFields,
      MarathonFields.of({
        policy,
        violations: (specMarathon) => marathonFieldViolations(policy, specMarathon)
      })
    )

  /** The built-in denials only. */
  static readonly layerDefault = MarathonFields.layer(defaultMarathonFieldPolicy)
}
