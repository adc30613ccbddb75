// Marathon's own example requests (test/fixtures/marathon-api, extra-examples included) sent to the
// emulator: each is accepted and read back equivalent, or — where Marathon's validation rejects
// the example itself — rejected exactly as Marathon does. Event payloads are compared with the
// event-bus documentation's examples.
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import type { SimEvent } from "../../src/sim/events/EventBus.ts"
import { exampleFiles, readJson } from "./Artefacts.ts"
import { assertReadBack } from "./Equivalence.ts"
import { advanceUntil, deployApp, noDeployments, startSim, web, type Api, type Harness } from "./SimHarness.ts"

type Obj = Record<string, any>

describe("Marathon's example requests", () => {
  let h: Harness
  let api: Api
  beforeEach(async () => {
    h = await startSim()
    api = h.api
  })
  afterEach(() => h.sim.close())

  const appExamples = [
    ...exampleFiles("extra-examples/tests/system/apps"),
    "extra-examples/docs/articles/examples/requests/app-simple.json",
    "extra-examples/docs/health-checks/app-07-foo.json",
    "v2/examples/app-check-http-example.json"
  ]

  for (const file of appExamples) {
    it(`POST /v2/apps accepts ${file} and reads it back`, async () => {
      const body = readJson(file) as Obj
      const r = await api.post("/v2/apps", body)
      assert.strictEqual(r.status, 201, r.text)
      const got = (await api.get(`/v2/apps${r.json.id}`)).json.app
      assertReadBack(body, got)
      await advanceUntil(api, "deployed", noDeployments(api), 0.5, 60)
    })
  }

  it("v2/examples/app.json: Marathon rejects cmd together with args; without args it is accepted", async () => {
    const body = readJson("v2/examples/app.json") as Obj
    const rejected = await api.post("/v2/apps", body)
    assert.strictEqual(rejected.status, 422)
    assert.deepStrictEqual(rejected.json.details, [{
      path: "/",
      errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."]
    }])
    const { args, ...withoutArgs } = body
    assert.isArray(args)
    const r = await api.post("/v2/apps", withoutArgs)
    assert.strictEqual(r.status, 201, r.text)
    assertReadBack(withoutArgs, (await api.get("/v2/apps/foo")).json.app)
  })

  it("apps_create.json (PUT /v2/apps), apps_patch.json (PATCH /v2/apps), app_patch.json (PATCH /v2/apps/foo)", async () => {
    const created = readJson("v2/examples/apps_create.json") as Array<Obj>
    assert.strictEqual((await api.put("/v2/apps", created)).status, 200)
    for (const app of created) assertReadBack(app, (await api.get(`/v2/apps${app["id"]}`)).json.app)
    await advanceUntil(api, "deployed", noDeployments(api))
    const patches = readJson("v2/examples/apps_patch.json") as Array<Obj>
    assert.strictEqual((await api.patch("/v2/apps", patches)).status, 200)
    for (const patch of patches) assertReadBack(patch, (await api.get(`/v2/apps${patch["id"]}`)).json.app)
    await deployApp(api, readJson("extra-examples/docs/health-checks/app-07-foo.json") as Obj)
    const patch = readJson("v2/examples/app_patch.json") as Obj
    assert.strictEqual((await api.patch("/v2/apps/foo", patch)).status, 200)
    assertReadBack(patch, (await api.get("/v2/apps/foo")).json.app)
  })

  it("group.json (PUT /v2/groups) and sleep-group.json (POST /v2/groups)", async () => {
    const group = readJson("v2/examples/group.json") as Obj
    const r = await api.put("/v2/groups", group)
    assert.strictEqual(r.status, 200, r.text)
    const apps = (g: Obj): Array<Obj> => [...(g["apps"] ?? []), ...(g["groups"] ?? []).flatMap(apps)]
    for (const app of apps(group)) assertReadBack(app, (await api.get(`/v2/apps${app["id"]}`)).json.app)
    const sleep = readJson("extra-examples/tests/system/groups/sleep-group.json") as Obj
    const created = await api.post("/v2/groups", sleep)
    assert.strictEqual(created.status, 201, created.text)
    for (const app of apps(sleep)) assertReadBack(app, (await api.get(`/v2/apps${app["id"]}`)).json.app)
    const tree = (await api.get("/v2/groups/sleep-group")).json
    assert.strictEqual(tree.groups[0].id, "/sleep-group/sleep")
    assert.lengthOf(tree.groups[0].apps, 2)
    assert.strictEqual((await api.post("/v2/groups", sleep)).status, 409)
  })

  for (const file of exampleFiles("extra-examples/docs/health-checks").filter((f) => f.includes("healthcheck-"))) {
    it(`a health check from ${file} is accepted in an app and read back`, async () => {
      const check = readJson(file) as Obj
      const body = { ...web, instances: 1, healthChecks: [check] }
      const r = await api.post("/v2/apps", body)
      assert.strictEqual(r.status, 201, r.text)
      assertReadBack(body, (await api.get("/v2/apps/c/web")).json.app)
    })
  }
})

describe("event payloads match the event-bus documentation", () => {
  // Types whose documented example predates Marathon 1.10's payload (spec §1.18; README caveats).
  const predating: Record<string, string> = {
    deployment_info: "old plan shape",
    deployment_step_success: "old plan shape",
    deployment_step_failure: "old plan shape",
    event_stream_attached: "HTTP-callback era fields; 1.10 writes remoteAddress",
    event_stream_detached: "HTTP-callback era fields; 1.10 writes remoteAddress",
    remove_health_check_event: "1.10 writes appId only",
    subscribe_event: "HTTP callbacks are gone",
    unsubscribe_event: "HTTP callbacks are gone",
    unhealthy_task_kill_event: "renamed unhealthy_instance_kill_event",
    framework_message_event: "Mesos-level, not emulated",
    unknown_instance_terminated_event: "not emitted by the emulator",
    pod_created_event: "pods are not emulated",
    pod_updated_event: "pods are not emulated",
    pod_deleted_event: "pods are not emulated"
  }

  it("every emitted event type has the documented fields", async () => {
    const h = await startSim()
    const events: Array<SimEvent> = []
    h.sim.onEvent((e) => events.push(e))
    const hc = { protocol: "HTTP", path: "/health", portIndex: 0, gracePeriodSeconds: 5, intervalSeconds: 5, maxConsecutiveFailures: 1 }
    await deployApp(h.api, { ...web, instances: 1, healthChecks: [hc] })
    await h.api.put("/v2/apps/c/web", { instances: 5 })
    await h.api.put("/v2/apps/c/web", { instances: 3 })
    await h.api.delete(`/v2/deployments/${(await h.api.get("/v2/deployments")).json[0].id}?force=true`)
    const [task] = (await h.api.get("/v2/apps/c/web")).json.app.tasks
    await h.api.post(`/__sim/tasks/${task.id}/health`, { alive: false })
    await h.api.advance(30)
    await h.api.delete("/v2/apps/c/web")
    await advanceUntil(h.api, "deleted", noDeployments(h.api))
    const byType = new Map(events.map((e) => [e.eventType, e.payload]))
    let compared = 0
    for (const file of exampleFiles("extra-examples/docs/event-bus")) {
      const doc = readJson(file) as Obj
      const type = doc["eventType"] as string
      if (predating[type] !== undefined || file.endsWith("-2.json")) continue
      const ours = byType.get(type)
      assert.isDefined(ours, `the scenario emits ${type}`)
      assert.includeMembers(Object.keys(ours!), Object.keys(doc), `${type}: documented fields`)
      compared++
    }
    assert.isAtLeast(compared, 10)
    await h.sim.close()
  })
})
