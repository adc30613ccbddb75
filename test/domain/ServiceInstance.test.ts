import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { desiredApp } from "../../src/domain/AppIdentity.ts"
import { resolveSpec } from "../../src/domain/ResolvedSpec.ts"
import { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import { serviceInstanceJsonSchemaText } from "../../src/domain/ServiceInstanceJsonSchema.ts"
import { parseManifests, parseResources } from "../../src/cli/input/parseManifests.ts"

const root = join(import.meta.dirname, "..", "..")

const problemsOf = (text: string) => {
  const result = parseManifests("t.yaml", text)
  return Result.isFailure(result) ? result.failure.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`) : []
}

const manifest = (spec: string, name = "web.main") =>
  `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: ${name}\nspec:\n${spec}`

describe("ServiceInstance schema", () => {
  it("schemas/serviceinstance.v1.json is the generated schema (run `make schemas` when this fails)", () => {
    const checkedIn = readFileSync(join(root, "schemas", "serviceinstance.v1.json"), "utf8")
    assert.strictEqual(checkedIn, serviceInstanceJsonSchemaText())
  })

  for (const folder of ["schemas/examples", "deploy/examples"]) {
    for (const file of readdirSync(join(root, folder)).filter((name) => name.endsWith(".yaml"))) {
      // Every example is something `apply -f` takes: ServiceInstances, or a Notifier / GitSource beside them.
      it(`decodes ${folder}/${file}`, () => {
        const result = parseResources(file, readFileSync(join(root, folder, file), "utf8"))
        assert.isTrue(Result.isSuccess(result), JSON.stringify(Result.isFailure(result) ? result.failure : []))
        const { instances, notifiers, sources } = Result.getOrThrow(result)
        assert.isAtLeast(instances.length + notifiers.length + sources.length, 1)
      })
    }
  }

  it.each([
    ["  image: x\n  cpus: 0\n", "7:3 spec.cpus: Expected a value greater than 0"],
    ["  image: x\n  instances: 2.5\n", "7:3 spec.instances: Expected an integer"],
    ["  image: x\n  bounce: {marginFactor: 0}\n", "7:12 spec.bounce.marginFactor: must be greater than 0"],
    ["  image: x\n  bounce: {marginFactor: 1.5}\n", "7:12 spec.bounce.marginFactor: must be at most 1"],
    [
      "  image: x\n  bounce: {method: sideways}\n",
      "7:12 spec.bounce.method: Expected \"crossover\" | \"upthendown\" | \"downthenup\" | \"brutal\" | \"down\""
    ],
    ["  cmd: a\n  args: [b]\n", "7:3 spec.args: cmd and args are mutually exclusive"],
    ["  instances: 1\n", "6:3 spec.image: one of image, cmd or args is required"],
    ["  image: x\n  colour: blue\n", "7:3 spec.colour: unknown field"],
    ["  image: x\n  healthCheck: {protocol: MESOS_HTTP}\n", "7:16 spec.healthCheck.portIndex: needs spec.ports to have a port at index 0"],
    ["  image: x\n  healthCheck: {protocol: COMMAND}\n", "7:16 spec.healthCheck.command: is required when protocol is COMMAND"],
    ["  image: x\n  drain: {method: noop, params: {delay: 3}}\n", "7:34 spec.drain.params.delay: unknown field"],
    ["  image: x\n  drain: {method: http, params: {}}\n", "7:33 spec.drain.params.drain: Missing key"],
    [
      "  image: x\n  drain: {method: teleport}\n",
      "7:3 spec.drain: Expected {method: noop | test | hacheck | http, params: ...} with the params of that method"
    ],
    ["  image: x\n  marathon: {id: /other}\n", "7:14 spec.marathon.id: is managed by mdeploy and cannot be set here"],
    ["  image: x\n  env: {\"1BAD\": x}\n", "7:9 spec.env.1BAD: environment variable names are [A-Za-z_][A-Za-z0-9_]*"]
  ])("rejects %j with its path", (spec, expected) => {
    assert.include(problemsOf(manifest(spec)), expected)
  })

  it.each([
    ["Web.main", "must be \"<service>.<instance>\""],
    ["web", "must be \"<service>.<instance>\""],
    ["web.ma--in", "must not contain \"--\""],
    ["a-_b.main", "would collide"],
    ["a_-b.main", "would collide"],
    ["web.main.x", "must be \"<service>.<instance>\""]
  ])("rejects the name %s", (name, message) => {
    assert.isTrue(problemsOf(manifest("  image: x\n", name)).some((line) => line.includes("metadata.name") && line.includes(message)))
  })

  it("fills documented defaults without touching the document", () => {
    const spec = Schema.decodeUnknownSync(ServiceInstance)({
      apiVersion: "mdeploy.dev/v1",
      kind: "ServiceInstance",
      metadata: { name: "web.main" },
      spec: { image: "web:1", desiredState: "stop", instances: 4 }
    }).spec
    const resolved = resolveSpec("web.main" as never, spec)
    assert.deepStrictEqual(
      [
        resolved.cpus,
        resolved.mem,
        resolved.disk,
        resolved.instances,
        resolved.desiredInstances,
        resolved.bounce.method,
        resolved.drain.method,
        resolved.drain.onError
      ],
      [0.25, 512, 0, 4, 0, "crossover", "noop", "retry"]
    )
    assert.deepStrictEqual(Object.keys(spec).sort(), ["desiredState", "image", "instances"])
  })

  it("spec.marathonShard: a shard name, kept out of the app id", () => {
    assert.deepStrictEqual(problemsOf(manifest("  image: web:1\n  marathonShard: b\n")), [])
    const [problem] = problemsOf(manifest("  image: web:1\n  marathonShard: Not_A_Shard\n"))
    assert.match(problem ?? "", /spec\.marathonShard: a Marathon shard name/)
    const decode = (shard?: string) =>
      resolveSpec(
        "web.main" as never,
        Schema.decodeUnknownSync(ServiceInstance)({
          apiVersion: "mdeploy.dev/v1",
          kind: "ServiceInstance",
          metadata: { name: "web.main" },
          spec: { image: "web:1", ...(shard === undefined ? {} : { marathonShard: shard }) }
        }).spec
      )
    assert.strictEqual(decode("b").marathonShard, "b")
    assert.strictEqual(desiredApp(decode("b")).id, desiredApp(decode()).id, "moving an instance keeps its app id")
  })
})
