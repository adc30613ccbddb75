// Conformance statements 1–18 of spec §6 (create and read), and the rule that a rejected
// request never changes the emulator's state.
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { deployApp, startSim, web, type Api, type Harness } from "./SimHarness.ts"

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe("create and read", () => {
  let h: Harness
  let api: Api
  beforeEach(async () => {
    h = await startSim()
    api = h.api
  })
  afterEach(() => h.sim.close())

  it("1: POST answers 201 with the deployment id, zero counts, no versionInfo and no tasks", async () => {
    const r = await api.post("/v2/apps", web)
    assert.strictEqual(r.status, 201)
    const id = r.headers.get("marathon-deployment-id")!
    assert.match(id, uuid)
    assert.strictEqual(r.json.id, "/c/web")
    assert.strictEqual(r.json.instances, 2)
    for (const k of ["tasksRunning", "tasksStaged", "tasksHealthy", "tasksUnhealthy"]) assert.strictEqual(r.json[k], 0)
    assert.deepStrictEqual(r.json.deployments, [{ id }])
    assert.isString(r.json.version)
    assert.notProperty(r.json, "versionInfo")
    assert.notProperty(r.json, "tasks")
    assert.strictEqual(r.headers.get("location"), `${h.sim.url}/c/web`)
  })

  it("3: a relative id is stored absolute", async () => {
    const r = await api.post("/v2/apps", { ...web, id: "c/web" })
    assert.strictEqual(r.json.id, "/c/web")
    assert.strictEqual((await api.get("/v2/apps/c/web")).status, 200)
  })

  it("4: bad ids get 422 with a detail on /id", async () => {
    for (const id of ["/C/Web", "/c/web_1", "/c/-web", "/c/tasks", "/"]) {
      const r = await api.post("/v2/apps", { ...web, id })
      assert.strictEqual(r.status, 422, id)
      assert.isTrue(r.json.details.some((d: { path: string }) => d.path === "/id"), `${id}: ${r.text}`)
    }
  })

  it("5: an app without cmd, args or container is not valid", async () => {
    const r = await api.post("/v2/apps", { id: "/c/x" })
    assert.strictEqual(r.status, 422)
    assert.deepStrictEqual(r.json, {
      message: "Object is not valid",
      details: [{ path: "/", errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."] }]
    })
  })

  it("7: truncated JSON is 400 Invalid JSON with string details", async () => {
    const r = await api.post("/v2/apps", { raw: "{\"id\":\"/c/web\"", contentType: "application/json" })
    assert.strictEqual(r.status, 400)
    assert.strictEqual(r.json.message, "Invalid JSON")
    assert.isString(r.json.details)
  })

  it("8: an empty body is 400 Please specify data in JSON format", async () => {
    const r = await api.post("/v2/apps", { raw: "", contentType: "application/json" })
    assert.strictEqual(r.status, 400)
    assert.strictEqual(r.json.message, "Please specify data in JSON format")
  })

  it("9: minimumHealthCapacity 1.2 is 422 on its path", async () => {
    const r = await api.post("/v2/apps", { ...web, upgradeStrategy: { minimumHealthCapacity: 1.2 } })
    assert.strictEqual(r.status, 422)
    assert.deepStrictEqual(r.json.details, [{
      path: "/upgradeStrategy/minimumHealthCapacity",
      errors: ["got 1.2, expected between 0.0 and 1.0"]
    }])
  })

  it("10: another content type is 415", async () => {
    const r = await api.post("/v2/apps", { raw: JSON.stringify(web), contentType: "text/plain" })
    assert.strictEqual(r.status, 415)
    assert.deepStrictEqual(r.json, { message: "Unsupported Media Type" })
  })

  it("11: a new app's deployment is Start then Scale", async () => {
    await api.post("/v2/apps", web)
    const [d] = (await api.get("/v2/deployments")).json
    assert.deepStrictEqual(d.steps, [
      { actions: [{ action: "StartApplication", app: "/c/web" }] },
      { actions: [{ action: "ScaleApplication", app: "/c/web" }] }
    ])
    assert.deepStrictEqual(d.affectedApps, ["/c/web"])
    assert.strictEqual(d.totalSteps, 2)
    assert.strictEqual(d.currentStep, 0)
    assert.deepStrictEqual(d.currentActions, [])
  })

  it("12: GET of one app has tasks, counts, deployments and versionInfo equal to version", async () => {
    await deployApp(api)
    const { app } = (await api.get("/v2/apps/c/web")).json
    assert.lengthOf(app.tasks, 2)
    for (const k of ["tasksRunning", "tasksStaged", "tasksHealthy", "tasksUnhealthy"]) assert.isNumber(app[k])
    assert.isArray(app.deployments)
    assert.strictEqual(app.versionInfo.lastScalingAt, app.version)
    assert.strictEqual(app.versionInfo.lastConfigChangeAt, app.version)
  })

  it("14/15: the list has counts and deployments always, tasks only when embedded", async () => {
    await deployApp(api)
    const plain = (await api.get("/v2/apps")).json.apps
    assert.lengthOf(plain, 1)
    assert.strictEqual(plain[0].tasksRunning, 2)
    assert.isArray(plain[0].deployments)
    assert.notProperty(plain[0], "tasks")
    const embedded = (await api.get("/v2/apps?embed=apps.tasks")).json.apps
    assert.lengthOf(embedded[0].tasks, 2)
    assert.isArray(embedded[0].deployments)
  })

  it("17: a malformed label selector is 422", async () => {
    const r = await api.get("/v2/apps?label=" + encodeURIComponent("env==("))
    assert.strictEqual(r.status, 422)
    assert.match(r.json.message, /^Can not parse label selector/)
  })

  it("label selectors: every form needs the key", async () => {
    await api.post("/v2/apps", { ...web, id: "/a", labels: { env: "prod", tier: "web" } })
    await api.post("/v2/apps", { ...web, id: "/b", labels: { env: "dev" } })
    await api.post("/v2/apps", { ...web, id: "/n" })
    const ids = async (q: string) => (await api.get("/v2/apps?label=" + encodeURIComponent(q))).json.apps.map((a: { id: string }) => a.id)
    assert.deepStrictEqual(await ids("env"), ["/a", "/b"])
    assert.deepStrictEqual(await ids("env==prod"), ["/a"])
    assert.deepStrictEqual(await ids("env!=prod"), ["/b"])
    assert.deepStrictEqual(await ids("env in (dev, prod)"), ["/a", "/b"])
    assert.deepStrictEqual(await ids("env notin (prod)"), ["/b"])
    assert.deepStrictEqual(await ids("env==prod,tier==web"), ["/a"])
    assert.deepStrictEqual(await ids("tier!=db"), ["/a"])
  })

  it("18: ?id= is a case-insensitive substring; ?cmd= filters on the command", async () => {
    await api.post("/v2/apps", web)
    await api.post("/v2/apps", { ...web, id: "/other", cmd: "python serve.py" })
    assert.deepStrictEqual((await api.get("/v2/apps?id=WEB")).json.apps.map((a: { id: string }) => a.id), ["/c/web"])
    assert.deepStrictEqual((await api.get("/v2/apps?cmd=PYTHON")).json.apps.map((a: { id: string }) => a.id), ["/other"])
  })

  it("defaults are filled in as Marathon 1.10 does", async () => {
    const { json } = await api.post("/v2/apps", { id: "/d", cmd: "sleep 1" })
    assert.include(json, {
      cpus: 1,
      mem: 128,
      disk: 0,
      gpus: 0,
      instances: 1,
      executor: "",
      backoffSeconds: 1,
      backoffFactor: 1.15,
      maxLaunchDelaySeconds: 300,
      requirePorts: false,
      killSelection: "YOUNGEST_FIRST",
      role: "*"
    })
    assert.deepStrictEqual(json.upgradeStrategy, { minimumHealthCapacity: 1, maximumOverCapacity: 1 })
    assert.deepStrictEqual(json.unreachableStrategy, { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 })
    assert.deepStrictEqual(json.networks, [{ mode: "host" }])
    assert.deepStrictEqual(json.portDefinitions, [{ port: 10000, protocol: "tcp", name: "default" }])
    assert.deepStrictEqual(json.labels, {})
    for (const k of ["args", "constraints", "dependencies", "env", "fetch", "healthChecks", "readinessChecks", "secrets"]) {
      assert.notProperty(json, k)
    }
  })

  it("group listing: /v2/apps/{group}/* and /v2/groups", async () => {
    await deployApp(api)
    const star = await api.get("/v2/apps/c/*")
    assert.strictEqual(star.status, 200)
    assert.deepStrictEqual(star.json["*"].map((a: { id: string }) => a.id), ["/c/web"])
    assert.deepStrictEqual((await api.get("/v2/apps/nope/*")).json, { message: "Group '/nope' does not exist" })
    const root = (await api.get("/v2/groups")).json
    assert.strictEqual(root.id, "/")
    assert.strictEqual(root.groups[0].id, "/c")
    assert.strictEqual(root.groups[0].apps[0].id, "/c/web")
    assert.deepStrictEqual((await api.get("/v2/groups/x")).json, { message: "Group '/x' does not exist" })
  })

  it("versions are listed newest first and readable", async () => {
    await deployApp(api)
    await api.put("/v2/apps/c/web", { cmd: "sleep 2000" })
    const { versions } = (await api.get("/v2/apps/c/web/versions")).json
    assert.lengthOf(versions, 2)
    assert.isTrue(versions[0] > versions[1])
    const old = await api.get(`/v2/apps/c/web/versions/${versions[1]}`)
    assert.strictEqual(old.json.cmd, "sleep 1000")
    assert.strictEqual((await api.get("/v2/apps/c/web/versions/2000-01-01T00:00:00.000Z")).status, 404)
  })
})

describe("bad requests never change state", () => {
  let h: Harness
  beforeEach(async () => {
    h = await startSim()
    await deployApp(h.api)
  })
  afterEach(() => h.sim.close())

  const snapshot = async (api: Api) => {
    const s = (await api.get("/__sim/state")).json
    delete s.now
    delete s.pendingTimers
    return JSON.stringify(s)
  }

  const cases: ReadonlyArray<[string, string, string, unknown, number]> = [
    ["malformed JSON", "POST", "/v2/apps", { raw: "{\"id\": \"/x\", \"cmd\":", contentType: "application/json" }, 400],
    ["empty body", "PUT", "/v2/apps/c/web", { raw: "", contentType: "application/json" }, 400],
    ["wrong content type", "PUT", "/v2/apps/c/web", { raw: "{\"instances\": 5}", contentType: "text/plain" }, 415],
    ["invalid id", "POST", "/v2/apps", { id: "/Bad_Id", cmd: "sleep 1" }, 422],
    ["reserved id", "POST", "/v2/apps", { id: "/c/versions", cmd: "sleep 1" }, 422],
    ["negative instances", "PUT", "/v2/apps/c/web", { instances: -1 }, 422],
    ["fractional instances", "PATCH", "/v2/apps/c/web", { instances: 0.5 }, 422],
    ["string cpus", "PUT", "/v2/apps/c/web", { cpus: "lots" }, 422],
    ["impossible capacity", "PUT", "/v2/apps/c/web", { upgradeStrategy: { minimumHealthCapacity: 2, maximumOverCapacity: 0 } }, 422],
    ["version with other fields", "PUT", "/v2/apps/c/web", { version: "2026-01-01T00:00:00.000Z", cmd: "x y" }, 422],
    ["both cmd and args", "POST", "/v2/apps", { id: "/z", cmd: "sleep 1", args: ["sleep", "1"] }, 422],
    ["existing app", "POST", "/v2/apps", { id: "/c/web", cmd: "sleep 1" }, 409],
    ["app where a group is", "POST", "/v2/apps", { id: "/c", cmd: "sleep 1" }, 422],
    ["cyclic dependencies", "PUT", "/v2/apps", [{ id: "/p", cmd: "a b", dependencies: ["/q"] }, {
      id: "/q",
      cmd: "a b",
      dependencies: ["/p"]
    }], 422],
    ["unknown app patch", "PATCH", "/v2/apps/nope", { instances: 1 }, 404],
    ["unknown task id", "POST", "/v2/tasks/delete", { ids: ["garbage"] }, 400],
    ["scale and wipe", "DELETE", "/v2/apps/c/web/tasks?scale=true&wipe=true", undefined, 400],
    ["unknown deployment", "DELETE", "/v2/deployments/00000000-0000-0000-0000-000000000000", undefined, 404]
  ]

  for (const [name, method, path, body, status] of cases) {
    it(`${name}: ${status} and nothing changes`, async () => {
      const before = await snapshot(h.api)
      const r = await h.api.request(method, path, body)
      assert.strictEqual(r.status, status, r.text)
      assert.isString(r.json?.message ?? r.text)
      assert.strictEqual(await snapshot(h.api), before)
    })
  }

  it("the 409 for an existing app is Marathon's text", async () => {
    const r = await h.api.post("/v2/apps", { ...web, cmd: "sleep 5" })
    assert.deepStrictEqual(r.json, { message: "An app with id [/c/web] already exists." })
  })
})
