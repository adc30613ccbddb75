// The quick `get` takes only command lines whose meaning is certain; everything else goes to the
// full parser. A line taken here that the parser would refuse (or read otherwise) is a bug.
import { assert, describe, it } from "@effect/vitest"
import { normalizeArgs } from "../../src/cli/KubectlArgs.ts"
import { quickGet } from "../../src/cli/QuickGetArgs.ts"

const noEnv = () => undefined
const parse = (line: string, env: Record<string, string> = {}) =>
  quickGet(normalizeArgs(line === "" ? [] : line.split(" ")), (name) => env[name])

describe("quickGet", () => {
  it("takes the plain forms, with the global flags anywhere", () => {
    const plain = parse("get")
    assert.deepStrictEqual(plain, {
      names: [],
      selector: undefined,
      showLabels: false,
      output: "table",
      settings: {
        etcd: "http://127.0.0.1:2379",
        etcdPrefix: "/mdeploy/v1",
        etcdCa: undefined,
        etcdCert: undefined,
        etcdKey: undefined,
        etcdUser: undefined,
        etcdPassword: undefined
      },
      log: { format: "logfmt", level: undefined }
    })
    const full = parse("--etcd http://a:1,http://b:2 get web.main -owide -l team=x --show-labels db.main --etcd-prefix=/p")
    assert.deepStrictEqual(full?.names, ["web.main", "db.main"])
    assert.strictEqual(full?.output, "wide")
    assert.strictEqual(full?.selector, "team=x")
    assert.isTrue(full?.showLabels)
    assert.strictEqual(full?.settings.etcd, "http://a:1,http://b:2")
    assert.strictEqual(full?.settings.etcdPrefix, "/p")
    assert.deepStrictEqual(parse("get serviceinstances/web.main -o=name")?.names, ["web.main"])
    assert.strictEqual(parse("get --output json")?.output, "json")
    assert.strictEqual(parse("get -o yaml")?.output, "yaml")
  })

  it("reads the environment (the context's included) after the flags", () => {
    const env = { MDEPLOY_ETCD_ENDPOINTS: "http://env:1", MDEPLOY_ETCD_USER: "ops", MDEPLOY_ETCD_PASSWORD: "pw", MDEPLOY_ETCD_CA: "/ca" }
    const fromEnv = parse("get", env)
    assert.strictEqual(fromEnv?.settings.etcd, "http://env:1")
    assert.strictEqual(fromEnv?.settings.etcdUser, "ops")
    assert.strictEqual(fromEnv?.settings.etcdPassword, "pw")
    assert.strictEqual(fromEnv?.settings.etcdCa, "/ca")
    assert.strictEqual(parse("get --etcd http://flag:1", env)?.settings.etcd, "http://flag:1")
    assert.deepStrictEqual(parse("get", { MDEPLOY_LOG_FORMAT: "json", MDEPLOY_LOG_LEVEL: "WARNING" })?.log, {
      format: "json",
      level: "Warn"
    })
  })

  it("leaves every other line to the parser", () => {
    for (
      const line of [
        "",
        "describe web.main",
        "rollout status get",
        "get --help",
        "get -h",
        "get -w",
        "get --watch",
        "get gitsources",
        "get gs main",
        "get notifiers",
        "get -o bogus",
        "get -o",
        "get -o wide -o name",
        "get -l a=b --selector c=d",
        "get --show-labels --show-labels",
        "get --show-labels=false",
        "get -l=team=x",
        "get --etcd",
        "get --etcd --etcd-prefix",
        "get -- web.main",
        "get --log-level debug",
        "get --unknown",
        "--version",
        "get --version"
      ]
    ) {
      assert.isUndefined(parse(line), line)
    }
    assert.isUndefined(quickGet(["get"], (name) => (name === "MDEPLOY_ETCD_PREFIX" ? "" : undefined)), "an empty variable")
    // Log settings the quick path does not accept: the parser's Config names the variable and the values.
    assert.isUndefined(parse("get", { MDEPLOY_LOG_FORMAT: "yaml" }))
    assert.isUndefined(parse("get", { MDEPLOY_LOG_LEVEL: "loud" }))
    assert.isDefined(quickGet(["get"], noEnv))
  })
})
