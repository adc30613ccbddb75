import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Option } from "effect"
import { Executor } from "../../src/controller/Executor.ts"
import { desiredApp } from "../../src/domain/AppIdentity.ts"
import type { BounceMethod } from "../../src/domain/Bounce.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ResolvedSpec } from "../../src/domain/ResolvedSpec.ts"
import { resolveSpec } from "../../src/domain/ResolvedSpec.ts"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"
import { MarathonClient } from "../../src/marathon/MarathonClient.ts"
import { emptyDrainState } from "../../src/plan/DrainState.ts"
import { observedInstance } from "../../src/plan/Observed.ts"
import * as Plan from "../../src/plan/Plan.ts"
import type { Harness } from "./SimHarness.ts"
import { recordingTracer } from "./RecordingTracer.ts"
import { converge, harness, reconcileOnce } from "./SimHarness.ts"

// Every bounce method against the Marathon emulator over HTTP (design.md §7): deploy version 1,
// then bounce to version 2, with noop and test drains, for 1, 3 and 10 instances.
const specOf = (name: string, overrides: ServiceInstanceSpec): ResolvedSpec =>
  resolveSpec(name as InstanceName, {
    cmd: "./serve",
    gitSha: "0123abcd",
    ports: [0],
    healthCheck: { protocol: "MESOS_HTTP", path: "/status" },
    ...overrides
  })

const listed = Effect.gen(function*() {
  return yield* (yield* MarathonClient).listApps
})

/** The instance's apps as Marathon lists them, with healthy running task counts. */
const appsOf = (name: string) =>
  Effect.gen(function*() {
    const apps = yield* (yield* MarathonClient).listApps
    return apps
      .filter((app) => app.id.startsWith(`/${name}.`))
      .map((app) => ({
        id: app.id,
        instances: app.instances,
        healthy: app.tasks.filter((t) => t.state === "TASK_RUNNING" && t.healthCheckResults.some((r) => r.alive)).length
      }))
  })

const bounce = (h: Harness, name: string, v1: ResolvedSpec, v2: ResolvedSpec) =>
  Effect.gen(function*() {
    const first = yield* converge(h, v1.name, Option.some(v1))
    assert.isTrue(first.converged, `v1 did not converge: ${first.passes.at(-1)?.plan.summary}`)
    const second = yield* converge(h, v2.name, Option.some(v2))
    assert.isTrue(second.converged, `v2 did not converge: ${second.passes.at(-1)?.plan.summary}`)
    const apps = yield* h.run(appsOf(name))
    const target = desiredApp(v2)
    assert.deepStrictEqual(apps, [{ id: target.id, instances: v2.desiredInstances, healthy: v2.desiredInstances }])
    assert.strictEqual(second.passes.at(-1)!.plan.phase, "Running")
    for (const { plan } of second.passes) {
      if (plan.method !== "crossover") continue
      const inLb = plan.tasks.happyNew + plan.tasks.oldHappy + plan.tasks.oldUnhappy + plan.tasks.atRisk
      const drained = plan.actions.reduce((n, a) => n + (a.type === "drainTasks" ? a.tasks.length : 0), 0)
      assert.isAtLeast(inLb - drained, Math.min(v2.desiredInstances, inLb), "crossover kept capacity")
    }
    return second
  })

describe("bounces against the Marathon emulator over HTTP", () => {
  for (const method of ["crossover", "upthendown", "downthenup", "brutal"] as const satisfies ReadonlyArray<BounceMethod>) {
    for (const drain of ["noop", "test"] as const) {
      it.live(`${method} with ${drain} drain converges for I = 1, 3 and 10`, () =>
        Effect.gen(function*() {
          for (const instances of [1, 3, 10]) {
            const name = `${method}.i${instances}`
            // Tasks need 1.5 s to pass their first check; a pass runs every 0.5 s.
            const h = yield* harness({ healthyAfterMs: 1500 })
            const common: ServiceInstanceSpec = {
              instances,
              bounce: { method },
              drain: drain === "noop" ? { method: "noop" } : { method: "test", params: { delay: 1 } }
            }
            const v1 = specOf(name, { ...common, env: { VERSION: "1" } })
            const v2 = specOf(name, { ...common, env: { VERSION: "2" } })
            yield* bounce(h, name, v1, v2)
          }
        }).pipe(Effect.scoped))
    }
  }

  const fault = (h: Harness, body: Record<string, unknown>) =>
    Effect.promise(() =>
      fetch(`${h.sim.url}/__sim/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
        .then((response) => assert.isTrue(response.ok, `fault not accepted: ${response.status}`))
    )
  const retryEvents = (spans: ReturnType<typeof recordingTracer>["spans"]) =>
    spans.flatMap((span) =>
      span.events.filter(([name]) => name === "marathon.retry").map(([, , attributes]) => ({ span: span.name, attributes }))
    )

  it.live("Marathon 5xx answers are retried, traced as span events, and the bounce still converges", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const v1 = specOf("faulty.main", { instances: 3, env: { VERSION: "1" } })
      const v2 = specOf("faulty.main", { instances: 3, env: { VERSION: "2" } })
      assert.isTrue((yield* converge(h, v1.name, Option.some(v1))).converged)
      yield* fault(h, { route: "/v2/apps", status: 503, times: 2 })
      yield* fault(h, { route: "/v2/tasks/delete", error: "leaderRefused", times: 1 })
      const { tracer, spans } = recordingTracer()
      const result = yield* converge(h, v2.name, Option.some(v2)).pipe(Effect.withTracer(tracer))
      assert.isTrue(result.converged)
      const events = retryEvents(spans)
      assert.isAtLeast(events.length, 3)
      assert.isTrue(events.every((event) => event.attributes["error.type"] === "Unavailable"))
      assert.isTrue(events.some((event) => event.span === "MarathonClient.killTasks"))
      assert.isTrue(spans.some((span) => span.name === "Executor.killTasks"))
      assert.deepStrictEqual((yield* h.run(appsOf("faulty.main"))).map((app) => app.id), [desiredApp(v2).id])
    }).pipe(Effect.scoped))

  it.live("a Marathon that answers too slowly is timed out and retried", () =>
    Effect.gen(function*() {
      const h = yield* harness({}, { requestTimeout: "300 millis" })
      const v1 = specOf("slow.main", { instances: 1 })
      yield* fault(h, { route: "/v2/apps", method: "GET", latencyMs: 1000, times: 1 })
      const { tracer, spans } = recordingTracer()
      const result = yield* converge(h, v1.name, Option.some(v1)).pipe(Effect.withTracer(tracer))
      assert.isTrue(result.converged)
      const events = retryEvents(spans)
      assert.strictEqual(events.length, 1)
      assert.match(String(events[0]!.attributes["error.message"]), /no answer from .* in time/)
    }).pipe(Effect.scoped))

  it.live("a create that commits but answers 5xx is retried into a 409 and never makes a second app", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const v1 = specOf("dup.main", { instances: 2, env: { VERSION: "1" } })
      const v2 = specOf("dup.main", { instances: 2, env: { VERSION: "2" }, bounce: { method: "brutal" } })
      assert.isTrue((yield* converge(h, v1.name, Option.some(v1))).converged)
      yield* fault(h, { route: "/v2/apps", method: "POST", commitThenFail: "error", times: 1 })
      const first = yield* h.run(reconcileOnce(v2.name, Option.some(v2), undefined))
      // The POST was applied, its answer lost; the retry is told "already exists": the app is ours
      // (it carries our owner), so it is adopted, not created again.
      assert.strictEqual(first.interrupted, "Adopted")
      assert.deepStrictEqual((yield* h.run(appsOf("dup.main"))).map((app) => app.id).sort(), [desiredApp(v1).id, desiredApp(v2).id].sort())
      h.sim.advance(500)
      const rest = yield* converge(h, v2.name, Option.some(v2))
      assert.isTrue(rest.converged)
      assert.isFalse(rest.passes.some((pass) => pass.plan.actions.some((a) => a.type === "createApp")))
      assert.deepStrictEqual((yield* h.run(appsOf("dup.main"))).map((app) => app.id), [desiredApp(v2).id])
    }).pipe(Effect.scoped))

  it.live("racing creators: a plan made before another actor created the app stops at the 409", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const v1 = specOf("race.main", { instances: 2, env: { VERSION: "1" } })
      const v2 = specOf("race.main", { instances: 2, env: { VERSION: "2" }, bounce: { method: "brutal" } })
      assert.isTrue((yield* converge(h, v1.name, Option.some(v1))).converged)
      // The other actor: another installation created the same app id behind our back.
      const theirs = desiredApp(v2).definition
      const labels = { ...(theirs["labels"] as Record<string, string>), MDEPLOY_OWNER: "another-installation" }
      yield* Effect.promise(() =>
        fetch(`${h.sim.url}/v2/apps`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...theirs, labels })
        })
      )
      const apps = yield* h.run(appsOf("race.main"))
      assert.strictEqual(apps.length, 2)
      // A stale listing: our plan still thinks the app is missing, so it creates and drains everything.
      const result = yield* h.run(Effect.gen(function*() {
        const listed = yield* (yield* MarathonClient).listApps
        const stale = observedInstance(v2.name, listed.filter((app) => app.id !== desiredApp(v2).id))
        const plan = Plan.make(Option.some(v2), stale, emptyDrainState(), yield* DateTime.now)
        assert.deepStrictEqual(plan.actions.map((a) => a.type), ["createApp", "drainTasks", "killTasks", "deleteApp"])
        return yield* (yield* Executor).run(plan)
      }))
      assert.strictEqual(result.interrupted?.reason, "AlreadyExists")
      assert.strictEqual(result.requeueAfterSeconds, 60)
      // Nothing drained, killed or deleted: the old app still runs all its tasks.
      const after = yield* h.run(appsOf("race.main"))
      assert.deepStrictEqual(after.find((app) => app.id === desiredApp(v1).id)?.instances, 2)
    }).pipe(Effect.scoped))

  it.live("a deleted instance is torn down: drained, killed and its apps deleted; unmanaged apps stay", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const v1 = specOf("gone.main", { instances: 3, drain: { method: "test", params: { delay: 1 } } })
      assert.isTrue((yield* converge(h, v1.name, Option.some(v1))).converged)
      yield* Effect.promise(() =>
        fetch(`${h.sim.url}/v2/apps`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ id: "/gone.main.githand.configmade", cmd: "./serve", instances: 1 })
        })
      )
      const result = yield* converge(h, v1.name, Option.none())
      assert.isTrue(result.converged)
      assert.deepStrictEqual(yield* h.run(appsOf("gone.main")), [])
      const all = yield* Effect.promise(() =>
        fetch(`${h.sim.url}/v2/apps`).then((r) => r.json() as Promise<{ apps: Array<{ id: string }> }>)
      )
      assert.deepStrictEqual(all.apps.map((app) => app.id), ["/gone.main.githand.configmade"])
    }).pipe(Effect.scoped))

  it.live("tasks on a host put into maintenance are surged around, then drained and killed", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const v1 = specOf("risk.main", { instances: 3, drain: { method: "test", params: { delay: 1 } } })
      assert.isTrue((yield* converge(h, v1.name, Option.some(v1))).converged)
      const [victim] = (yield* h.run(listed))[0]!.tasks
      yield* Effect.promise(() =>
        fetch(`${h.sim.url}/__sim/hosts/${victim!.host}/maintenance`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{\"draining\":true}"
        })
      )
      const result = yield* converge(h, v1.name, Option.some(v1))
      assert.isTrue(result.converged)
      const scaled = result.passes[0]!.plan.actions.find((a) => a.type === "scaleApp")
      assert.deepStrictEqual(scaled?.type === "scaleApp" ? [scaled.instances, scaled.reason] : [], [4, "atRiskSurge"])
      const [app] = yield* h.run(listed)
      assert.strictEqual(app!.instances, 3)
      assert.isFalse(app!.tasks.some((task) => task.host === victim!.host))
      assert.strictEqual(result.passes.at(-1)!.plan.tasks.happyNew, 3)
    }).pipe(Effect.scoped))

  it.live("editing instances scales the same app in place (1 → 5 → 2), and stop keeps it at 0", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const at = (instances: number, extra: ServiceInstanceSpec = {}) =>
        specOf("scale.main", { instances, drain: { method: "test", params: { delay: 1 } }, ...extra })
      const id = desiredApp(at(1)).id
      for (const [spec, expected] of [[at(1), 1], [at(5), 5], [at(2), 2], [at(2, { desiredState: "stop" }), 0]] as const) {
        const result = yield* converge(h, spec.name, Option.some(spec))
        assert.isTrue(result.converged)
        assert.isFalse(result.passes.some((pass) => pass.plan.actions.some((a) => a.type === "createApp")) && expected !== 1)
        assert.deepStrictEqual(yield* h.run(appsOf("scale.main")), [{ id, instances: expected, healthy: expected }])
      }
      const stopped = yield* converge(h, at(2, { desiredState: "stop" }).name, Option.some(at(2, { desiredState: "stop" })))
      assert.strictEqual(stopped.passes.at(-1)!.plan.phase, "Stopped")
    }).pipe(Effect.scoped))
})
