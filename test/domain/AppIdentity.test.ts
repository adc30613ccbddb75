import { assert, describe, it } from "@effect/vitest"
import { appDefinitionFor, backoffSecondsFor } from "../../src/domain/AppDefinition.ts"
import { appIdPrefix, belongsTo, desiredApp, instanceNameOf, isManaged, parseAppId } from "../../src/domain/AppIdentity.ts"
import { canonicalJson } from "../../src/domain/CanonicalJson.ts"
import { configHash } from "../../src/domain/ConfigHash.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { resolveSpec } from "../../src/domain/ResolvedSpec.ts"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"

const resolved = (name: string, spec: ServiceInstanceSpec) => resolveSpec(name as InstanceName, spec)

// Fixed example specs. Their ids are pinned below: if a change to AppDefinition, AppIdentity or
// ConfigHash alters them, every running service would get a new app id and be bounced.
const examples = {
  web: resolved("web.main", {
    image: "registry.example/web:9f2c1e7a",
    gitSha: "9f2c1e7a0b1c2d3e4f",
    cmd: "./serve --port $PORT0",
    env: { LOG_LEVEL: "info" },
    cpus: 0.5,
    mem: 512,
    instances: 3,
    constraints: [["hostname", "UNIQUE"]],
    ports: [8080],
    healthCheck: { protocol: "MESOS_HTTP", path: "/status" }
  }),
  minimal: resolved("batch_jobs.canary_1", { cmd: "sleep 1000" }),
  worker: resolved("payments.worker", {
    image: "registry.example/payments:1",
    gitSha: "abcdef0123456789",
    args: ["--queue", "payments"],
    bounce: { method: "downthenup" },
    drain: { method: "test", params: { delay: 5 } },
    marathon: { labels: { team: "payments" }, fetch: [{ uri: "https://example/config.tgz" }] }
  })
}

const golden = {
  web: "/web.main.git9f2c1e7a.config64ac21de",
  minimal: "/batch--jobs.canary--1.gitunknown.configbc5625dc",
  worker: "/payments.worker.gitabcdef01.config6de0e251"
}

const bigBounce = "app ids of the example specs changed: deploying this would bounce EVERY service in every cluster. " +
  "If that is really intended, update the golden ids on purpose and say so in the changelog."

describe("AppIdentity", () => {
  it("pins the app ids of the example specs", () => {
    for (const [key, spec] of Object.entries(examples)) {
      assert.strictEqual(desiredApp(spec).id, golden[key as keyof typeof golden], `${key}: ${bigBounce}`)
    }
  })

  it("canonical JSON sorts keys at every depth and the hash is 8 hex chars", () => {
    assert.strictEqual(
      canonicalJson({ b: 1, a: { d: [1, { z: 0, y: null }], c: "x" } }),
      "{\"a\":{\"c\":\"x\",\"d\":[1,{\"y\":null,\"z\":0}]},\"b\":1}"
    )
    assert.strictEqual(configHash({ b: 1, a: 2 }, ""), configHash({ a: 2, b: 1 }, ""))
    assert.match(configHash({ foo: "bar" }, ""), /^[0-9a-f]{8}$/)
  })

  it("keeps instances, desiredState and backoff out of the id (scaled in place)", () => {
    const base = { image: "img:1", gitSha: "1234567890", instances: 3 } as const
    const id = desiredApp(resolved("web.main", base)).id
    assert.strictEqual(desiredApp(resolved("web.main", { ...base, instances: 7 })).id, id)
    assert.strictEqual(desiredApp(resolved("web.main", { ...base, desiredState: "stop" })).id, id)
    assert.strictEqual(desiredApp(resolved("web.main", { ...base, instances: 0 })).id, id)
    assert.strictEqual(desiredApp(resolved("web.main", { ...base, bounce: { method: "brutal" } })).id, id)
    assert.strictEqual(desiredApp(resolved("web.main", { ...base, drain: { method: "test" } })).id, id)
    assert.strictEqual(desiredApp(resolved("web.main", { ...base, paused: true })).id, id)
  })

  it("any change of the app definition or forceBounce makes a new id", () => {
    const base = { image: "img:1", gitSha: "1234567890" } as const
    const id = desiredApp(resolved("web.main", base)).id
    const variants: ReadonlyArray<ServiceInstanceSpec> = [
      { ...base, image: "img:2" },
      { ...base, env: { A: "1" } },
      { ...base, mem: 1024 },
      { ...base, forceBounce: "2024-01-01T00:00:00Z" },
      { ...base, marathon: { labels: { MDEPLOY_SIM_HEALTH: "never" } } }
    ]
    for (const variant of variants) {
      assert.notStrictEqual(desiredApp(resolved("web.main", variant)).id, id, JSON.stringify(variant))
    }
    assert.match(desiredApp(resolved("web.main", { ...base, gitSha: "abcdef0000" })).id, /^\/web\.main\.gitabcdef00\.config/)
  })

  it("writes _ as -- and gitunknown without a sha", () => {
    assert.match(desiredApp(examples.minimal).id, /^\/batch--jobs\.canary--1\.gitunknown\.config[0-9a-f]{8}$/)
  })

  it("labels every app as managed, with service, instance and config hash", () => {
    const app = desiredApp(examples.worker)
    const labels = app.definition["labels"] as Record<string, string>
    assert.deepStrictEqual(labels, {
      team: "payments",
      MDEPLOY_MANAGED: "true",
      MDEPLOY_SERVICE: "payments",
      MDEPLOY_INSTANCE: "worker",
      MDEPLOY_CONFIG_HASH: app.configHash
    })
    assert.isTrue(isManaged(labels))
    assert.isFalse(isManaged({ MDEPLOY_MANAGED: "false" }))
    assert.isFalse(isManaged(undefined))
    assert.strictEqual(app.definition["id"], app.id)
  })

  it("mdeploy labels win over spec.marathon labels, and spec.marathon merges deeply", () => {
    const spec = resolved("web.main", {
      image: "img:1",
      marathon: { labels: { MDEPLOY_MANAGED: "false" }, container: { docker: { parameters: [{ key: "init", value: "true" }] } } }
    })
    const definition = appDefinitionFor(spec)
    assert.strictEqual((definition["labels"] as Record<string, string>)["MDEPLOY_MANAGED"], "true")
    const container = definition["container"] as { docker: Record<string, unknown> }
    assert.strictEqual(container.docker["image"], "img:1")
    assert.deepStrictEqual(container.docker["parameters"], [{ key: "init", value: "true" }])
  })

  it("translates the health check, ports and resources", () => {
    const definition = appDefinitionFor(examples.web)
    assert.deepStrictEqual(definition["healthChecks"], [{
      protocol: "MESOS_HTTP",
      path: "/status",
      portIndex: 0,
      gracePeriodSeconds: 60,
      intervalSeconds: 10,
      timeoutSeconds: 10,
      maxConsecutiveFailures: 30
    }])
    assert.deepStrictEqual((definition["container"] as Record<string, unknown>)["portMappings"], [
      { containerPort: 8080, hostPort: 0, protocol: "tcp" }
    ])
    assert.strictEqual(definition["instances"], 3)
    assert.strictEqual(definition["backoffSeconds"], 4)
    const command = appDefinitionFor(resolved("a.b", { cmd: "x", ports: [0], healthCheck: { protocol: "COMMAND", command: "true" } }))
    assert.deepStrictEqual((command["healthChecks"] as Array<unknown>)[0], {
      protocol: "COMMAND",
      command: { value: "true" },
      gracePeriodSeconds: 60,
      intervalSeconds: 10,
      timeoutSeconds: 10,
      maxConsecutiveFailures: 30
    })
    assert.deepStrictEqual(command["portDefinitions"], [{ port: 0, protocol: "tcp" }])
    assert.strictEqual(command["requirePorts"], false)
    assert.strictEqual(appDefinitionFor(resolved("a.b", { cmd: "x", desiredState: "stop" }))["instances"], 0)
  })

  it("parses ids back to their instance and matches with the trailing dot", () => {
    const id = desiredApp(examples.minimal).id
    assert.deepStrictEqual(parseAppId(id), {
      service: "batch_jobs",
      instance: "canary_1",
      git: "unknown",
      config: desiredApp(examples.minimal).configHash
    })
    assert.strictEqual(instanceNameOf(id), "batch_jobs.canary_1")
    assert.strictEqual(appIdPrefix("svc.main" as InstanceName), "/svc.main.")
    assert.isTrue(belongsTo("/svc.main.gitabc.config123", "svc.main" as InstanceName))
    assert.isFalse(belongsTo("/svc.main2.gitabc.config123", "svc.main" as InstanceName))
    assert.isFalse(belongsTo("/svc.mainx", "svc.main" as InstanceName))
    assert.isUndefined(parseAppId("/folder/svc.main.gitabc.config123"))
    assert.isUndefined(parseAppId("/svc.main"))
    assert.isUndefined(parseAppId("/svc.main.abc.config1"))
  })

  it("72: backoffSeconds is 1 for 100 instances, 10 for 1, 1 for 0", () => {
    assert.deepStrictEqual([100, 1, 0, 3].map(backoffSecondsFor), [1, 10, 1, 4])
  })
})
