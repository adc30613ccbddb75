import { assert, describe, it } from "@effect/vitest"
import { configPath, contextFlag } from "../../src/cli/config/ActiveContext.ts"
import { contextEnv, parseConfig } from "../../src/cli/config/ConfigFile.ts"
import { contextFieldsFromArgs } from "../../src/cli/commands/ConfigCommand.ts"

describe("config file", () => {
  it("reads contexts, lists of URLs and the current context", () => {
    const { config, problems } = parseConfig(
      "current-context: prod\ncontexts:\n  prod:\n    etcd: [https://a:2379, https://b:2379]\n    etcd-ca: certs/ca.pem\n    marathon: https://m\n  demo: {}\n",
      "/home/u/.config/mdeploy/config.yaml"
    )
    assert.deepStrictEqual(problems, [])
    assert.strictEqual(config.currentContext, "prod")
    assert.deepStrictEqual([...config.contexts.keys()], ["prod", "demo"])
    assert.deepStrictEqual(contextEnv(config.contexts.get("prod")!, "/home/u/.config/mdeploy"), {
      MDEPLOY_ETCD_ENDPOINTS: "https://a:2379,https://b:2379",
      MDEPLOY_ETCD_CA: "/home/u/.config/mdeploy/certs/ca.pem",
      MDEPLOY_MARATHON_URLS: "https://m"
    })
  })

  it("names file, line, column and field of every problem", () => {
    const { problems } = parseConfig(
      "current-context: gone\ncontexts:\n  a:\n    etcd: {x: 1}\n    marathn: http://m\nextra: 1\n",
      "c.yaml"
    )
    assert.deepStrictEqual(problems, [
      "c.yaml:4:11: contexts.a.etcd: must be a URL or a list of URLs",
      "c.yaml:5:5: contexts.a.marathn: unknown field (known: etcd, etcd-prefix, etcd-ca, etcd-cert, etcd-key, etcd-user, marathon)",
      "c.yaml:6:1: extra: unknown field (known: current-context, contexts)",
      "c.yaml:1:18: current-context: no context named \"gone\" in contexts"
    ])
    const syntax = parseConfig("contexts:\n  a: [\n", "c.yaml").problems
    assert.strictEqual(syntax.length > 0 && syntax.every((line) => /^c\.yaml:\d+:\d+: /.test(line)), true, syntax.join("\n"))
    assert.deepStrictEqual(parseConfig("", "c.yaml").problems, [])
  })

  it("is found at $MDEPLOY_CONFIG, else under XDG_CONFIG_HOME, else ~/.config", () => {
    assert.strictEqual(configPath({ MDEPLOY_CONFIG: "/x.yaml" }, "/home/u"), "/x.yaml")
    assert.strictEqual(configPath({ XDG_CONFIG_HOME: "/xdg" }, "/home/u"), "/xdg/mdeploy/config.yaml")
    assert.strictEqual(configPath({}, "/home/u"), "/home/u/.config/mdeploy/config.yaml")
  })

  it("takes --context and set-context's fields from the command line", () => {
    assert.strictEqual(contextFlag(["get", "--context", "prod"]), "prod")
    assert.strictEqual(contextFlag(["--context=demo", "get"]), "demo")
    assert.strictEqual(contextFlag(["get"]), undefined)
    assert.deepStrictEqual(
      contextFieldsFromArgs([
        "config",
        "set-context",
        "p",
        "--etcd",
        "http://a",
        "--etcd-prefix=/p",
        "--use",
        "--marathon",
        "http://m",
        "-o",
        "table"
      ]),
      { etcd: "http://a", "etcd-prefix": "/p", marathon: "http://m" }
    )
  })
})
