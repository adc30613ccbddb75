import { assert, describe, it } from "@effect/vitest"
import { defaultMarathonFieldPolicy, fieldPatternMatches, marathonFieldViolations } from "../../src/domain/MarathonFieldPolicy.ts"

const paths = (marathon: Record<string, unknown>, policy = defaultMarathonFieldPolicy) =>
  marathonFieldViolations(policy, marathon).map((violation) => violation.path)

describe("Marathon field policy: built-in denials", () => {
  it.each([
    [{ container: { docker: { privileged: true } } }, "spec.marathon.container.docker.privileged"],
    [{ container: { docker: { privileged: "true" } } }, "spec.marathon.container.docker.privileged"],
    [{ container: { docker: { parameters: [{ key: "pid", value: "host" }] } } }, "spec.marathon.container.docker.parameters"],
    [{ container: { docker: { parameters: [] } } }, "spec.marathon.container.docker.parameters"],
    [{ container: { docker: { network: "HOST" } } }, "spec.marathon.container.docker.network"],
    [
      { container: { volumes: [{ containerPath: "/data", mode: "RO" }, { containerPath: "/host", hostPath: "/", mode: "RW" }] } },
      "spec.marathon.container.volumes[1].hostPath"
    ],
    [{ container: { volumes: [{ containerPath: "/x", external: { name: "shared" } }] } }, "spec.marathon.container.volumes[0].external"],
    [{ container: { linuxInfo: { seccomp: { unconfined: true } } } }, "spec.marathon.container.linuxInfo"],
    [{ networks: [{ mode: "container/bridge" }, { mode: "host" }] }, "spec.marathon.networks[1].mode"],
    [{ user: "root" }, "spec.marathon.user"],
    [{ acceptedResourceRoles: ["slave_public"] }, "spec.marathon.acceptedResourceRoles"],
    [{ role: "prod" }, "spec.marathon.role"],
    [{ executor: "/usr/local/bin/run-anything" }, "spec.marathon.executor"],
    [{ fetch: [{ uri: "http://evil/x" }] }, "spec.marathon.fetch"],
    [{ uris: ["http://evil/x"] }, "spec.marathon.uris"],
    [{ storeUrls: ["http://evil/x"] }, "spec.marathon.storeUrls"],
    [{ secrets: { s: { source: "/prod/db" } } }, "spec.marathon.secrets"],
    [{ labels: { HAPROXY_GROUP: "external" } }, "spec.marathon.labels.HAPROXY_GROUP"],
    [{ labels: { HAPROXY_0_VHOST: "other.example" } }, "spec.marathon.labels.HAPROXY_0_VHOST"],
    [{ labels: { MDEPLOY_OWNER: "someone-else" } }, "spec.marathon.labels.MDEPLOY_OWNER"],
    [{ labels: { MDEPLOY_MANAGED: "false" } }, "spec.marathon.labels.MDEPLOY_MANAGED"],
    [{ id: "/outsider.app" }, "spec.marathon.id"],
    [{ instances: 100 }, "spec.marathon.instances"],
    [{ "container.docker.privileged": true }, "spec.marathon.container.docker.privileged"]
  ])("denies %j at %s", (marathon, path) => {
    assert.deepStrictEqual(paths(marathon), [path])
  })

  it("allows what reaches no further than the service itself", () => {
    assert.deepStrictEqual(
      paths({
        container: {
          docker: { privileged: false, forcePullImage: true, network: "BRIDGE" },
          volumes: [{ containerPath: "data", persistent: { size: 100 }, mode: "RW" }]
        },
        networks: [{ mode: "container/bridge" }],
        labels: { team: "payments", "traefik-free": "x", HAPROXY: "x" },
        killSelection: "YOUNGEST_FIRST",
        upgradeStrategy: { minimumHealthCapacity: 0.5 },
        unreachableStrategy: { inactiveAfterSeconds: 60 }
      }),
      []
    )
    assert.deepStrictEqual(paths({}), [])
    assert.deepStrictEqual(marathonFieldViolations(defaultMarathonFieldPolicy, undefined), [])
  })

  it("reports every violation once, outermost, with a message naming the policy", () => {
    const violations = marathonFieldViolations(defaultMarathonFieldPolicy, {
      user: "root",
      container: {
        docker: { privileged: true, parameters: [{ key: "pid", value: "host" }] },
        volumes: [{ hostPath: "/", containerPath: "/h" }]
      }
    })
    assert.deepStrictEqual(violations.map((v) => v.path), [
      "spec.marathon.user",
      "spec.marathon.container.docker.privileged",
      "spec.marathon.container.docker.parameters",
      "spec.marathon.container.volumes[0].hostPath"
    ])
    assert.deepStrictEqual(violations[3]!.segments, ["container", "volumes", 0, "hostPath"])
    assert.match(violations[1]!.message, /^denied by the Marathon field policy \(.+\)$/)
  })
})

describe("Marathon field policy: values", () => {
  it("only the value host (any case) is host networking; other values, null and non-strings are left to Marathon", () => {
    assert.deepStrictEqual(paths({ container: { docker: { network: "Host" } } }), ["spec.marathon.container.docker.network"])
    assert.deepStrictEqual(paths({ container: { docker: { network: 7 } }, networks: [{ mode: null }, { mode: 1 }] }), [])
    assert.deepStrictEqual(paths({ container: null, labels: { team: null } }), [])
  })

  it("privileged is denied for every value but false", () => {
    assert.deepStrictEqual(paths({ container: { docker: { privileged: 0 } } }), ["spec.marathon.container.docker.privileged"])
    assert.deepStrictEqual(paths({ container: { docker: { privileged: false } } }), [])
  })
})

describe("Marathon field policy: operator files", () => {
  it("allow lifts a built-in denial, and only the one it names", () => {
    const policy = { allow: ["user", "container.volumes.hostPath", "labels.HAPROXY_GROUP"], deny: [] }
    assert.deepStrictEqual(paths({ user: "nobody", container: { volumes: [{ hostPath: "/var/log", containerPath: "/log" }] } }, policy), [])
    assert.deepStrictEqual(paths({ labels: { HAPROXY_GROUP: "internal", HAPROXY_0_VHOST: "x" } }, policy), [
      "spec.marathon.labels.HAPROXY_0_VHOST"
    ])
    assert.deepStrictEqual(paths({ container: { docker: { privileged: true } } }, policy), ["spec.marathon.container.docker.privileged"])
  })

  it("an allowed ancestor lifts every denial beneath it; a glob lifts a whole label prefix", () => {
    assert.deepStrictEqual(
      paths({ container: { docker: { privileged: true, parameters: [{ key: "a", value: "b" }] } } }, {
        allow: ["container.docker"],
        deny: []
      }),
      []
    )
    assert.deepStrictEqual(paths({ labels: { HAPROXY_GROUP: "a", HAPROXY_0_VHOST: "b" } }, { allow: ["labels.HAPROXY_*"], deny: [] }), [])
  })

  it("mdeploy's own fields stay denied whatever the file allows", () => {
    const policy = { allow: ["id", "instances", "labels", "labels.MDEPLOY_*"], deny: [] }
    assert.deepStrictEqual(paths({ id: "/x", instances: 3, labels: { MDEPLOY_OWNER: "x", team: "t" } }, policy), [
      "spec.marathon.id",
      "spec.marathon.instances",
      "spec.marathon.labels.MDEPLOY_OWNER"
    ])
    assert.match(marathonFieldViolations(policy, { id: "/x" })[0]!.message, /managed by mdeploy/)
  })

  it("deny adds denials and wins over allow", () => {
    const policy = { allow: ["user"], deny: ["user", "constraints", "labels.traefik.*", "env.SECRET_*"] }
    assert.deepStrictEqual(
      paths({
        user: "nobody",
        constraints: [["hostname", "UNIQUE"]],
        labels: { "traefik.enable": "true", "team": "x" },
        env: { SECRET_KEY: "x", LOG: "y" }
      }, policy),
      ["spec.marathon.user", "spec.marathon.constraints", "spec.marathon.labels.traefik.enable", "spec.marathon.env.SECRET_KEY"]
    )
    assert.strictEqual(marathonFieldViolations(policy, { user: "x" })[0]!.message, "denied by the Marathon field policy")
  })

  it("patterns match a path, its descendants, or a continuation after *; never a mere name prefix", () => {
    assert.isTrue(fieldPatternMatches("user", "user"))
    assert.isFalse(fieldPatternMatches("user", "username"))
    assert.isTrue(fieldPatternMatches("container.docker", "container.docker.privileged"))
    assert.isFalse(fieldPatternMatches("container.docker.privileged", "container.docker"))
    assert.isTrue(fieldPatternMatches("labels.HAPROXY_*", "labels.HAPROXY_GROUP"))
    assert.isTrue(fieldPatternMatches("labels.*", "labels.x"))
    assert.isFalse(fieldPatternMatches("labels.HAPROXY_*", "labels.haproxy_group"))
  })
})
