// `mdeploy cleanup approve [NAME...]`: releases tear-downs the deletion budget refused (design.md
// §11), each once. Without names, every instance whose status says CleanupRefused. A name that
// still has a spec has nothing to tear down and is refused (exit 4), so an approval cannot wait
// in the ledger for a deletion nobody has made yet. A write etcd did not answer is repeated
// without approving twice (cleanup/ApproveTeardowns.ts).
import { Console, Effect, Layer, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { approveTeardowns } from "../../../cleanup/ApproveTeardowns.ts"
import type { InstanceName } from "../../../domain/InstanceName.ts"
import { etcdCleanupLedgerLayer } from "../../../store/EtcdCleanupLedger.ts"
import { EtcdClient } from "../../../store/EtcdClient.ts"
import { SpecStore } from "../../../store/SpecStore.ts"
import { StatusStore } from "../../../store/StatusStore.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"
import { withStores } from "../../Stores.ts"

export const approve = Command.make(
  "approve",
  {
    names: Argument.String("name").pipe(Argument.withDescription("instances to release (default: every refused one)"), Argument.variadic())
  },
  Effect.fn("Cli.cleanup.approve")(function*({ names }) {
    const result = yield* withStores(Effect.gen(function*() {
      const specs = yield* SpecStore
      const statuses = yield* StatusStore
      const all = yield* statuses.list()
      const refused = [...all].filter(([, status]) => status.phase === "CleanupRefused").map(([name]) => name)
      const targets = names.length === 0 ? refused : [...names]
      const withSpec: Array<string> = []
      const unknown: Array<string> = []
      for (const name of targets) {
        const hasSpec = yield* specs.get(name as InstanceName).pipe(
          Effect.map(Option.isSome),
          Effect.catchTag("CorruptSpecError", () => Effect.succeed(true))
        )
        if (hasSpec) withSpec.push(name)
        else if (!all.has(name)) unknown.push(name)
      }
      const approved = targets.filter((name) => !withSpec.includes(name) && !unknown.includes(name))
      if (approved.length > 0) {
        yield* approveTeardowns(approved).pipe(
          Effect.provide(etcdCleanupLedgerLayer.pipe(Layer.provide(Layer.succeed(EtcdClient, yield* EtcdClient))))
        )
      }
      return { approved, withSpec, unknown }
    }))
    for (const name of result.approved) yield* Console.log(`serviceinstance/${name} tear-down approved`)
    if (result.approved.length === 0 && names.length === 0) yield* Console.log("no tear-down is waiting for approval")
    const problems = [
      ...result.withSpec.map((name) => `error: ${name} still has a spec: nothing to tear down`),
      ...result.unknown.map((name) => `error: ${name}: no such instance`)
    ]
    if (problems.length > 0) return yield* exitWith(ExitCode.notFound, ...problems)
  })
).pipe(
  Command.withDescription("Release tear-downs of deleted instances that the deletion budget refused, each once"),
  Command.withExamples([
    { command: "mdeploy cleanup approve", description: "Release every refused tear-down" },
    { command: "mdeploy cleanup approve web.canary", description: "Release one" }
  ])
)
