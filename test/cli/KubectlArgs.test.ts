import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { defaultEndpoint, defaultPrefix } from "../../src/cli/GlobalFlags.ts"
import { commandName, normalizeArgs } from "../../src/cli/KubectlArgs.ts"
import * as EtcdClient from "../../src/store/EtcdClient.ts"
import { version } from "../../src/cli/Version.ts"

describe("normalizeArgs", () => {
  it("splits -oFORMAT and leaves -o=FORMAT and -o FORMAT alone", () => {
    assert.deepStrictEqual(normalizeArgs(["get", "-owide"]), ["get", "-o", "wide"])
    assert.deepStrictEqual(normalizeArgs(["get", "-oname"]), ["get", "-o", "name"])
    assert.deepStrictEqual(normalizeArgs(["get", "-o=json"]), ["get", "-o=json"])
    assert.deepStrictEqual(normalizeArgs(["get", "-o", "yaml"]), ["get", "-o", "yaml"])
  })

  it("drops the serviceinstance kind word and the kind/ prefix, and keeps other kinds", () => {
    assert.deepStrictEqual(normalizeArgs(["get", "serviceinstances"]), ["get"])
    assert.deepStrictEqual(normalizeArgs(["get", "serviceinstance", "web.main"]), ["get", "web.main"])
    assert.deepStrictEqual(normalizeArgs(["describe", "si", "web.main"]), ["describe", "web.main"])
    assert.deepStrictEqual(normalizeArgs(["get", "serviceinstances/web.main", "si/a.b"]), ["get", "web.main", "a.b"])
    assert.deepStrictEqual(normalizeArgs(["get", "gitsource/repo"]), ["get", "gitsource/repo"])
  })

  it("never rewrites a flag's value or anything after --", () => {
    assert.deepStrictEqual(normalizeArgs(["--etcd-prefix", "si", "get"]), ["--etcd-prefix", "si", "get"])
    assert.deepStrictEqual(normalizeArgs(["apply", "-f", "si/web.yaml"]), ["apply", "-f", "si/web.yaml"])
    assert.deepStrictEqual(normalizeArgs(["get", "--", "-owide", "si"]), ["get", "--", "-owide", "si"])
  })

  it("keeps the version in step with package.json", () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as { version: string }
    assert.strictEqual(version, pkg.version)
  })
})

describe("commandName", () => {
  it("is the first word that is neither a flag nor a flag's value", () => {
    assert.strictEqual(commandName(["--etcd", "http://x", "-o", "json", "get", "web.main"]), "get")
    assert.strictEqual(commandName(["-o=json", "--show-labels", "rollout", "status"]), "rollout")
    assert.strictEqual(commandName(["--version"]), undefined)
    assert.strictEqual(commandName(["--log-level", "debug", "get"]), "get")
  })

  it("the flag defaults repeat EtcdClient's", () => {
    assert.strictEqual(defaultEndpoint, EtcdClient.defaultEndpoint)
    assert.strictEqual(defaultPrefix, EtcdClient.defaultPrefix)
  })
})
