import { assert, describe, it } from "@effect/vitest"
import {
  appOfTask,
  FloorTracker,
  type InstanceModel,
  type ProxyRecord,
  SoakInvariants,
  writeOf
} from "../../bench/internal/soakInvariants.ts"

const foreign = new Map([
  ["/web0.main.gitdeadbeef.config00000000", "unmanaged" as const],
  ["/web1.main.gitcafe0000.config11111111", "otherOwner" as const]
])
const foreignInstances = new Map([["/web0.main.gitdeadbeef.config00000000", 2], ["/web1.main.gitcafe0000.config11111111", 1]])
const make = () => new SoakInvariants({ foreign, cleanupWindowMs: 600_000, cleanupMaxFraction: 0.5 })

const req = (
  at: number,
  method: string,
  path: string,
  body: unknown = "",
  status: number | undefined = 200,
  controller = "c1"
): ProxyRecord => ({
  at,
  controller,
  method,
  path,
  body: typeof body === "string" ? body : JSON.stringify(body),
  status
})
const task = (app: string, n: number) => `${app.slice(1)}.instance-0000000${n}-0000-4000-8000-000000000000._app.1`
const running = (app: string, count: number, healthy = true) =>
  Array.from({ length: count }, (_, n) => ({ id: task(app, n), state: "TASK_RUNNING", healthy }))

const a1 = "/web2.main.git12345678.configaaaaaaaa"
const a2 = "/web2.main.git12345678.configbbbbbbbb"

/** A clean bounce of web2.main: create, kill old tasks one by one, delete the old app; foreign apps untouched. */
const cleanLog = (inv: SoakInvariants) => {
  inv.spec(0, "web2.main", true)
  inv.request(req(10, "GET", "/v2/apps?embed=apps.tasks"))
  inv.request(req(20, "POST", "/v2/apps", { id: a1, instances: 2 }, 201))
  inv.request(req(30, "POST", "/v2/apps", { id: a2, instances: 2 }, 201))
  inv.request(req(40, "POST", "/v2/tasks/delete?scale=true&force=true", { ids: [task(a1, 0)] }, 200))
  inv.request(req(50, "POST", "/v2/tasks/delete?scale=true&force=true", { ids: [task(a1, 1)] }, 200))
  inv.request(req(60, "DELETE", `/v2/apps${a1}`, "", 200))
  inv.request(req(70, "PATCH", `/v2/apps${a2}?force=true`, { instances: 3 }, 200))
}

describe("soak invariants", () => {
  it("parses every Marathon write the controller makes", () => {
    assert.deepStrictEqual(writeOf({ method: "POST", path: "/v2/apps", body: JSON.stringify({ id: a1 }) }), {
      kind: "create",
      appIds: [a1],
      taskIds: []
    })
    assert.deepStrictEqual(writeOf({ method: "DELETE", path: `/v2/apps${a1}?force=true`, body: "" }), {
      kind: "delete",
      appIds: [a1],
      taskIds: []
    })
    assert.deepStrictEqual(writeOf({ method: "DELETE", path: `/v2/apps${a1}/tasks/${task(a1, 0)}?scale=true`, body: "" }), {
      kind: "kill",
      appIds: [a1],
      taskIds: [task(a1, 0)]
    })
    assert.deepStrictEqual(
      writeOf({ method: "POST", path: "/v2/tasks/delete?scale=true", body: JSON.stringify({ ids: [task(a1, 0)] }) })?.appIds,
      [a1]
    )
    assert.strictEqual(writeOf({ method: "GET", path: "/v2/apps", body: "" }), undefined)
    assert.strictEqual(appOfTask("svc.main.gitx.configy.instance-1-2-3-4-5._app.3"), "/svc.main.gitx.configy")
  })

  it("a clean log, a clean bounce's polls and a re-created deleted spec give no violation", () => {
    const inv = make()
    cleanLog(inv)
    const others = ["/web3.main.gitx.configy", "/web4.main.gitx.configy", "/web5.main.gitx.configy", "/web6.main.gitx.configy"].map((
      id
    ) => ({ id, instances: 1, tasks: running(id, 1) }))
    inv.snapshot(
      {
        at: 35,
        apps: [
          { id: a1, instances: 2, tasks: running(a1, 2) },
          { id: a2, instances: 2, tasks: running(a2, 1) },
          ...others,
          ...foreignApps()
        ]
      },
      foreignInstances,
      new Map([["web2.main", 2]])
    )
    // Deleted spec: tear-down, then the same config re-created (a legitimate second create).
    inv.spec(100, "web2.main", false)
    inv.request(req(110, "DELETE", `/v2/apps${a2}`, "", 200))
    inv.spec(120, "web2.main", true)
    inv.request(req(130, "POST", "/v2/apps", { id: a2, instances: 3 }, 201))
    // A tear-down decided while the spec was gone that lands after it came back, then a re-create.
    inv.spec(140, "web2.main", false)
    inv.spec(150, "web2.main", true)
    inv.request(req(160, "DELETE", `/v2/apps${a2}`, "", 200))
    inv.request(req(170, "POST", "/v2/apps", { id: a2, instances: 3 }, 201))
    assert.deepStrictEqual(inv.violations, [])
    assert.deepStrictEqual(inv.checked, { writes: 10, creates: 4, kills: 2, teardowns: 2, polls: 1, floorChecks: 1 })
  })

  it("(1) a write to an unmanaged or other owner's app, or a change seen in Marathon, is a violation", () => {
    const inv = make()
    cleanLog(inv)
    inv.request(req(80, "DELETE", "/v2/apps/web0.main.gitdeadbeef.config00000000", "", 503))
    inv.request(req(90, "POST", "/v2/tasks/delete", { ids: [task("/web1.main.gitcafe0000.config11111111", 0)] }, 200))
    inv.snapshot({ at: 95, apps: [foreignApps()[0]!] }, foreignInstances, new Map())
    inv.snapshot({ at: 96, apps: [foreignApps()[0]!] }, foreignInstances, new Map())
    assert.deepStrictEqual(inv.violations.map((v) => v.invariant), ["foreignWrite", "foreignWrite", "foreignWrite"])
    assert.include(inv.violations[2]!.message, "gone from Marathon")
  })

  it("(2) an app created twice without a tear-down of its deleted spec in between", () => {
    const inv = make()
    cleanLog(inv)
    // Deleted while its spec existed (say, on an empty list), then created again.
    inv.request(req(80, "DELETE", `/v2/apps${a2}`, "", 200))
    inv.request(req(90, "POST", "/v2/apps", { id: a2 }, 201, "c2"))
    // A 409 answer is Marathon refusing the duplicate: no violation.
    inv.request(req(95, "POST", "/v2/apps", { id: a2 }, 409, "c2"))
    assert.deepStrictEqual(inv.violations.map((v) => v.invariant), ["createdTwice"])
  })

  it("(3) a task killed twice by requests that both succeeded", () => {
    const inv = make()
    cleanLog(inv)
    inv.request(req(80, "POST", "/v2/tasks/delete", { ids: [task(a1, 5)] }, 503))
    inv.request(req(81, "DELETE", `/v2/apps${a1}/tasks/${task(a1, 1)}`, "", 200, "c2"))
    assert.deepStrictEqual(inv.violations.map((v) => v.invariant), ["killedTwice"])
  })

  it("(4) happy tasks below a crossover floor; not before Running, nor while paused or scaled down", () => {
    const tracker = new FloorTracker()
    const model: InstanceModel = {
      name: "web2.main",
      method: "crossover",
      instances: 4,
      marginFactor: 0.5,
      generation: 1,
      paused: false,
      stopped: false,
      deleted: false
    }
    assert.strictEqual(tracker.floor(model, { phase: "Bouncing", observedGeneration: 1 }), 0)
    assert.strictEqual(tracker.floor(model, { phase: "Running", observedGeneration: 1 }), 2)
    assert.strictEqual(tracker.floor({ ...model, generation: 2, instances: 6 }, { phase: "Running", observedGeneration: 1 }), 2)
    assert.strictEqual(tracker.floor({ ...model, generation: 3, instances: 2, marginFactor: 1 }, undefined), 2)
    assert.strictEqual(tracker.floor({ ...model, generation: 4, paused: true }, undefined), 0)
    assert.strictEqual(tracker.floor({ ...model, generation: 4 }, { phase: "Running", observedGeneration: 3 }), 0)
    assert.strictEqual(tracker.floor({ ...model, method: "brutal" }, { phase: "Running", observedGeneration: 1 }), 0)

    const inv = make()
    const apps = [
      { id: a1, instances: 2, tasks: [...running(a1, 1), { id: task(a1, 1), state: "TASK_RUNNING", healthy: false }] },
      ...foreignApps()
    ]
    inv.snapshot({ at: 10, apps }, foreignInstances, new Map([["web2.main", 2]]))
    assert.deepStrictEqual(inv.violations.map((v) => v.invariant), ["capacityFloor"])
  })

  it("(5) tear-downs in different windows are within the budget", () => {
    const inv = make()
    const names = ["s1.main", "s2.main", "s3.main", "s4.main"]
    for (const name of names) inv.spec(0, name, true)
    inv.snapshot({ at: 5, apps: names.map((name) => ({ id: `/${name}.gitx.configy`, instances: 1, tasks: [] })) }, new Map(), new Map())
    for (const name of names) inv.spec(10, name, false)
    for (const [at, name] of [[20, "s1"], [40, "s2"], [600_030, "s3"], [600_050, "s4"]] as const) {
      inv.request(req(at, "DELETE", `/v2/apps/${name}.main.gitx.configy`, "", 200))
    }
    assert.deepStrictEqual(inv.violations, [])
  })

  it("(5) more than half of the managed instances torn down within one window", () => {
    const inv = make()
    const names = ["s1.main", "s2.main", "s3.main", "s4.main"]
    for (const name of names) inv.spec(0, name, true)
    inv.snapshot(
      {
        at: 5,
        apps: names.map((name) => ({ id: `/${name}.gitx.configy`, instances: 1, tasks: running(`/${name}.gitx.configy`, 1) })).concat(
          foreignApps()
        )
      },
      foreignInstances,
      new Map()
    )
    for (const name of names) inv.spec(10, name, false)
    inv.request(req(20, "DELETE", "/v2/apps/s1.main.gitx.configy", "", 200))
    // A refused attempt (5xx) and a second app of the same deletion do not count.
    inv.request(req(25, "DELETE", "/v2/apps/s2.main.gitx.configy", "", 503))
    inv.request(req(30, "DELETE", "/v2/apps/s1.main.gitx.configz", "", 200))
    inv.request(req(40, "DELETE", "/v2/apps/s2.main.gitx.configy", "", 200))
    assert.deepStrictEqual(inv.violations, [])
    // s1 deleted again after a re-creation: the same instance, still 2 distinct in the window.
    inv.spec(50, "s1.main", true)
    inv.spec(60, "s1.main", false)
    inv.request(req(70, "DELETE", "/v2/apps/s1.main.gitx.configy", "", 200))
    assert.deepStrictEqual(inv.violations, [])
    inv.request(req(599_000, "DELETE", "/v2/apps/s3.main.gitx.configy", "", 200))
    assert.deepStrictEqual(inv.violations.map((v) => v.invariant), ["deletionBudget"])
    assert.deepStrictEqual(inv.summary(), { foreignWrite: 0, createdTwice: 0, killedTwice: 0, capacityFloor: 0, deletionBudget: 1 })
  })

  it("(5) a bounce of a re-created spec retiring an app from before its deletion is no tear-down; tearing down both apps is one", () => {
    const inv = make()
    const names = ["s1.main", "s2.main"]
    for (const name of names) inv.spec(0, name, true)
    const old = "/s1.main.gitx.configold"
    const fresh = "/s1.main.gitx.confignew"
    inv.request(req(1, "POST", "/v2/apps", { id: old, instances: 1 }, 201))
    inv.snapshot({ at: 5, apps: names.map((name) => ({ id: `/${name}.gitx.configy`, instances: 1, tasks: [] })) }, new Map(), new Map())
    // Deleted (the tear-down refused), re-created with another config: the bounce creates the new app ...
    inv.spec(10, "s1.main", false)
    inv.spec(20, "s1.main", true)
    inv.request(req(30, "POST", "/v2/apps", { id: fresh, instances: 1 }, 201))
    // ... and retires the old one just as the spec is deleted again: the new app outlives it.
    inv.spec(40, "s1.main", false)
    inv.spec(40, "s2.main", false)
    inv.request(req(41, "DELETE", `/v2/apps${old}`, "", 200))
    inv.request(req(42, "DELETE", "/v2/apps/s2.main.gitx.configy", "", 200))
    assert.deepStrictEqual(inv.violations, [])
    // The new app's own DELETE, spec still gone: the instance is torn down (the 2nd of 2 managed).
    inv.request(req(50, "DELETE", `/v2/apps${fresh}`, "", 200))
    assert.deepStrictEqual(inv.violations.map((v) => v.invariant), ["deletionBudget"])
  })
})

function foreignApps() {
  return [...foreignInstances].map(([id, instances]) => ({ id, instances, tasks: running(id, instances) }))
}
