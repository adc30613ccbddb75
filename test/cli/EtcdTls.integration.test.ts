import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import { parse } from "yaml"
import { runCli } from "../harness/cli.ts"
import type { TestCerts } from "../harness/certs.ts"
import { makeTestCerts } from "../harness/certs.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

// The CLI against an etcd that speaks only TLS and wants a client certificate signed by its CA,
// with certificates made by openssl for this run.

let certs: TestCerts
let etcd: EtcdCluster
beforeAll(async () => {
  certs = makeTestCerts()
  etcd = await startLocalEtcd({ tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, trustedCaFile: certs.caFile } })
})
afterAll(async () => {
  await etcd?.close()
  certs?.remove()
})

const manifest = (name: string, image: string) =>
  `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: ${name}\nspec:\n  image: ${image}\n  instances: 2\n`

const oneLine = (stderr: string) => {
  const lines = stderr.trim().split("\n")
  assert.strictEqual(lines.length, 1, `expected one line, got:\n${stderr}`)
  assert.notInclude(stderr, "    at ")
  return lines[0]!
}

describe("mdeploy CLI against etcd over TLS with client certificates", () => {
  it("applies and reads back with --etcd-ca, --etcd-cert and --etcd-key", async () => {
    const tls = [
      "--etcd",
      etcd.endpoints,
      "--etcd-prefix",
      uniquePrefix("tls"),
      "--etcd-ca",
      certs.caFile,
      "--etcd-cert",
      certs.clientCertFile,
      "--etcd-key",
      certs.clientKeyFile
    ]
    assert.match(etcd.endpoints, /^https:\/\/127\.0\.0\.1:\d+$/)
    const applied = await runCli(["apply", "-f", "-", ...tls], { stdin: manifest("web.main", "web:1") })
    assert.strictEqual(applied.code, 0, applied.stderr)
    assert.strictEqual(applied.stderr, "")
    assert.include(applied.stdout, "serviceinstance/web.main created")
    const got = await runCli(["get", "web.main", "-o", "yaml", ...tls])
    assert.strictEqual(got.code, 0, got.stderr)
    assert.strictEqual(parse(got.stdout).spec.image, "web:1")
  })

  it("takes the same settings from MDEPLOY_ETCD_CA, MDEPLOY_ETCD_CERT and MDEPLOY_ETCD_KEY", async () => {
    const env = {
      MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints,
      MDEPLOY_ETCD_PREFIX: uniquePrefix("tls-env"),
      MDEPLOY_ETCD_CA: certs.caFile,
      MDEPLOY_ETCD_CERT: certs.clientCertFile,
      MDEPLOY_ETCD_KEY: certs.clientKeyFile
    }
    const applied = await runCli(["apply", "-f", "-"], { env, stdin: manifest("api.main", "api:1") })
    assert.strictEqual(applied.code, 0, applied.stderr)
    const listed = await runCli(["get", "-o", "json"], { env })
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.deepStrictEqual(JSON.parse(listed.stdout).items.map((item: any) => item.metadata.name), ["api.main"])
  })

  it("fails in one clear line without the client certificate", async () => {
    const result = await runCli(["get", "--etcd", etcd.endpoints, "--etcd-ca", certs.caFile])
    assert.strictEqual(result.code, 2)
    assert.strictEqual(
      oneLine(result.stderr),
      `error: etcd ${etcd.endpoints}: list: etcd refused the TLS handshake: client certificate missing or not trusted (check --etcd-cert/--etcd-key)`
    )
  })

  it("without --etcd-ca an https endpoint is checked against the system CAs, and says which flag is missing", async () => {
    const result = await runCli(["get", "--etcd", etcd.endpoints, "--etcd-cert", certs.clientCertFile, "--etcd-key", certs.clientKeyFile])
    assert.strictEqual(result.code, 2)
    const line = oneLine(result.stderr)
    assert.match(line, /^error: etcd https:\/\/127\.0\.0\.1:\d+: list: cannot verify etcd's TLS certificate: .+ \(check --etcd-ca\)$/)
  })

  it("NODE_EXTRA_CA_CERTS stands in for --etcd-ca", async () => {
    const env = { NODE_EXTRA_CA_CERTS: certs.caFile, MDEPLOY_ETCD_PREFIX: uniquePrefix("tls-extra") }
    const result = await runCli([
      "get",
      "-o",
      "json",
      "--etcd",
      etcd.endpoints,
      "--etcd-cert",
      certs.clientCertFile,
      "--etcd-key",
      certs.clientKeyFile
    ], { env })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(JSON.parse(result.stdout).items, [])
  })

  it("a plain http:// URL to the TLS port fails in one line naming the endpoint", async () => {
    const plain = etcd.endpoints.replace("https://", "http://")
    const result = await runCli(["get", "--etcd", plain])
    assert.strictEqual(result.code, 2)
    assert.match(oneLine(result.stderr), new RegExp(`^error: etcd ${plain}: list: `))
  })
})
