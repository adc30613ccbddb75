// `rollout status` while waiting: follows the spec and status keys through etcd watches (etcd3)
// until the rollout is done, stalled, invalid or timed out, or etcd is lost (a read of the spec key
// every few seconds notices). Loaded only when the command waits: the one-shot `--watch=false`
// reads through etcd's JSON gateway and loads no etcd3.
import { Duration, Effect, Option, Stream } from "effect"
import { EtcdClient } from "../../../store/EtcdClient.ts"
import { makeKeys } from "../../../store/Keys.ts"
import { SpecStore } from "../../../store/SpecStore.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"
import type { RolloutState } from "../../render/RolloutProgress.ts"
import { rolloutProgress } from "../../render/RolloutProgress.ts"
import { withStores } from "../../Stores.ts"
import { notFound } from "./updateSpec.ts"
import { watchInstance } from "./watchInstance.ts"

export type Outcome = RolloutState | { readonly _tag: "Deleted" } | { readonly _tag: "Corrupt"; readonly message: string }
export type TimedOut = { readonly _tag: "TimedOut" }

/** How often the wait checks that etcd still answers. */
const probeInterval = Duration.seconds(2)

/** Waits for the rollout of `name`, showing each change with `show`; `limit`: give up after it. */
export const followRollout = (name: string, limit: Option.Option<Duration.Duration>, show: (line: string) => Effect.Effect<void>) =>
  withStores(
    Effect.gen(function*() {
      const found = yield* (yield* SpecStore).get(name)
      if (Option.isNone(found)) return yield* notFound(name)
      const etcd = yield* EtcdClient
      const keys = makeKeys(etcd.prefix)
      const followed = watchInstance(etcd.prefix, name).pipe(
        Stream.mapEffect((snapshot) =>
          Effect.gen(function*() {
            if (Option.isSome(snapshot.corrupt)) return Option.some<Outcome>({ _tag: "Corrupt", message: snapshot.corrupt.value })
            if (Option.isNone(snapshot.instance)) return Option.some<Outcome>({ _tag: "Deleted" })
            const progress = rolloutProgress(snapshot.instance.value, Option.getOrUndefined(snapshot.status))
            yield* show(progress.line)
            return progress.state._tag === "Progressing" ? Option.none<Outcome>() : Option.some<Outcome>(progress.state)
          })
        ),
        Stream.filter(Option.isSome),
        Stream.map((outcome) => outcome.value),
        Stream.runHead
      )
      // The informers relist quietly for ever when etcd goes away; a read of the spec key every
      // few seconds notices, so a lost etcd ends the wait with one line and exit 2, not a hang.
      const probe = Effect.sleep(probeInterval).pipe(
        Effect.andThen(etcd.callIdempotent("rollout status probe", (client) => client.get(keys.spec(name)).exec())),
        Effect.forever,
        Effect.mapError((error) => exitWith(ExitCode.error, `error: lost etcd while watching serviceinstance/${name}: ${error.oneLine}`))
      )
      const watched = Effect.raceFirst(followed, probe)
      // The informers never end, so None means the time limit passed.
      const ended = Option.isSome(limit) ? Option.flatten(yield* Effect.timeoutOption(watched, limit.value)) : yield* watched
      return Option.getOrElse(ended, (): Outcome | TimedOut => ({ _tag: "TimedOut" }))
    })
  )
