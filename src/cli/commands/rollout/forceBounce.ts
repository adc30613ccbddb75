// The change `rollout restart` makes: spec.forceBounce set to one stamp, taken once per command.
// Every try of the command sets that same stamp, so a try that finds it set (an earlier try's write
// landed although etcd did not answer it) has nothing left to do: one command, one bounce.
import { Effect, Option } from "effect"
import type { ServiceInstanceSpec } from "../../../domain/ServiceInstanceSpec.ts"
import type { StoredInstance } from "../../../store/SpecStore.ts"

export const forceBounceAt = (stamp: string) => (instance: StoredInstance): Effect.Effect<Option.Option<ServiceInstanceSpec>> =>
  Effect.succeed(instance.spec.forceBounce === stamp ? Option.none() : Option.some({ ...instance.spec, forceBounce: stamp }))
