// `mdeploy reconcile NAME [--dry-run] [-o json]`: one reconcile pass by hand, as operators ran
// setup_marathon_job — under the same instance lock as the controller (exit 5 while it is held).
// --dry-run computes the plan with the same pure planner and changes nothing (no lock needed).
// A name with neither a spec nor a Marathon app is exit 4.
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { InstanceName } from "../../domain/InstanceName.ts"
import { SpecStore } from "../../store/SpecStore.ts"
import { StatusStore } from "../../store/StatusStore.ts"
import { ExitCode, exitWith } from "../CliExit.ts"
import { etcdOptions, marathonUrls } from "../GlobalFlags.ts"
import { marathonFieldPolicyFlag, readMarathonFieldPolicy } from "../input/readFieldPolicy.ts"
import { root } from "../Root.ts"
import { shardFlags, shardsFromFlags } from "../ShardFlags.ts"
import { storeFailure } from "../StoreLayers.ts"
import { mesosFlag } from "./ControllerCommand.ts"

export const reconcile = Command.make(
  "reconcile",
  {
    name: Argument.String("name").pipe(Argument.withDescription("instance name")),
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("print the plan, change nothing"), Flag.withDefault(false)),
    mesos: mesosFlag,
    // The controller's policy, so a pass by hand judges an instance as the controller does.
    marathonFieldPolicy: marathonFieldPolicyFlag,
    // The controller's shards: a pass by hand must place the instance where the controller would.
    ...shardFlags
  },
  Effect.fn("Cli.reconcile")(function*({ name, dryRun, mesos, marathonFieldPolicy, marathonShard, previousMarathonShard }) {
    const flags = yield* root
    const fieldPolicy = yield* readMarathonFieldPolicy(marathonFieldPolicy)
    // Loaded on use: the Marathon client, planner and executor are not needed by other commands.
    const { makeMarathonSnapshot } = yield* Effect.promise(() => import("../../controller/MarathonSnapshot.ts"))
    const { makeReconciler } = yield* Effect.promise(() => import("../../controller/Reconciler.ts"))
    const { messageOfOutcome, resultOf } = yield* Effect.promise(() => import("../../controller/Outcome.ts"))
    const { makeManagedCount } = yield* Effect.promise(() => import("../../controller/ManagedCount.ts"))
    const { marathonOptionsFromEnv, processIdentity, reconcileLayer } = yield* Effect.promise(() => import("../../Layers.ts"))
    const Plan = yield* Effect.promise(() => import("../../plan/Plan.ts"))
    const { makeSession } = yield* Effect.promise(() => import("../../store/EtcdSession.ts"))
    const urls = marathonUrls(flags)
    const shards = yield* shardsFromFlags({ marathonShard, previousMarathonShard }, urls)
    const holder = processIdentity("mdeploy-reconcile")
    const outcome = yield* Effect.gen(function*() {
      const specs = yield* SpecStore
      const statuses = yield* StatusStore
      const session = yield* makeSession({ ttlSeconds: 10 })
      const snapshot = yield* makeMarathonSnapshot()
      const managedNow = yield* makeManagedCount
      const reconciler = yield* makeReconciler({
        snapshot,
        session,
        holder,
        fences: [],
        // The same safety as the controller's (design.md §11): the managed instances are the ones
        // running apps of this installation in a full list taken for the decision.
        cleanupInput: Effect.gen(function*() {
          const listed = yield* specs.list().pipe(Effect.option)
          const statusNames = yield* statuses.list().pipe(Effect.map((all) => [...all.keys()]), Effect.option)
          const specNames = new Set(Option.match(listed, {
            onNone: () => [],
            onSome: (l) => [...l.items.map((i) => i.metadata.name), ...l.corrupt.map((c) => c.key.slice(c.key.lastIndexOf("/") + 1))]
          }))
          return {
            specNames,
            specsSynced: Option.isSome(listed) && Option.isSome(statusNames),
            managedInstances: yield* managedNow,
            force: false
          }
        })
      })
      return yield* reconciler.reconcile(name as InstanceName, { dryRun })
    }).pipe(
      Effect.scoped,
      Effect.provide(reconcileLayer(
        etcdOptions(flags),
        { ...marathonOptionsFromEnv(urls, Option.getOrUndefined(mesos) ?? process.env["MDEPLOY_MESOS_URL"]), shards },
        { owner: Option.getOrUndefined(flags.owner) },
        fieldPolicy
      )),
      Effect.catchTag("StoreError", (error) => Effect.fail(storeFailure(error)))
    )
    // No spec and no app of the instance in Marathon: the name is unknown, not "nothing to do".
    const plan = outcome._tag === "Done" || outcome._tag === "RequeueAfter" ? outcome.plan : undefined
    if (outcome._tag === "Done" && plan === undefined) {
      return yield* exitWith(ExitCode.notFound, `error: serviceinstance "${name}" not found (no spec, no Marathon app)`)
    }
    const message = messageOfOutcome(outcome)
    if (flags.output === "json") {
      yield* Console.log(JSON.stringify(
        {
          result: resultOf(outcome),
          ...(message === undefined ? {} : { error: message }),
          plan: plan === undefined ? null : Plan.toDocument(plan)
        },
        null,
        2
      ))
    } else if (plan !== undefined) {
      yield* Console.log(`${name}: ${plan.phase}: ${plan.summary}`)
      const verb = dryRun ? "would run" : "ran"
      if (plan.actions.length === 0) yield* Console.log("  no actions")
      for (const action of Plan.toDocument(plan).actions) yield* Console.log(`  ${verb} ${JSON.stringify(action)}`)
      const next = outcome._tag === "RequeueAfter" ? outcome.seconds : plan.requeueAfterSeconds
      if (next !== undefined) yield* Console.log(`  next pass in ${next}s`)
    }
    switch (outcome._tag) {
      case "LockHeld":
        return yield* exitWith(ExitCode.lockHeld, `error: ${name}: ${message}`)
      case "Failed":
        // An unusable spec is reported in status (phase Invalid) and by the JSON above; the pass
        // itself did what it should (nothing), so only other failures exit non-zero.
        if (resultOf(outcome) === "Error") return yield* exitWith(ExitCode.error, `error: ${name}: ${message}`)
    }
  })
).pipe(
  Command.withDescription("Run one reconcile pass for one instance under its lock (exit 5 when the lock is held)"),
  Command.withExamples([
    { command: "mdeploy reconcile web.main --dry-run -o json", description: "The plan the controller would carry out now" },
    { command: "mdeploy reconcile web.main", description: "Take one bounce step by hand" }
  ])
)
