// Test certificates made with `openssl` at test time in a temp dir: a CA, a server certificate for
// 127.0.0.1/localhost and a client certificate, all signed by the CA. Nothing is checked in.
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface TestCerts {
  readonly dir: string
  readonly caFile: string
  readonly serverCertFile: string
  readonly serverKeyFile: string
  readonly clientCertFile: string
  readonly clientKeyFile: string
  readonly remove: () => void
}

/** Throws with an actionable message when openssl is missing: tests must fail, not skip. */
export const assertOpensslInstalled = (): void => {
  const probe = spawnSync("openssl", ["version"], { stdio: "ignore" })
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error("openssl is not installed: run `make test` (it installs Debian's openssl) or `apt-get install openssl`")
  }
}

const openssl = (dir: string, args: ReadonlyArray<string>): void => {
  const run = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" })
  if (run.error !== undefined || run.status !== 0) {
    throw new Error(`openssl ${args.join(" ")} failed: ${run.error?.message ?? run.stderr}`)
  }
}

const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

const signed = (dir: string, name: string, subject: string, extensions: string): void => {
  writeFileSync(join(dir, `${name}.ext`), extensions)
  openssl(dir, ["req", "-new", ...ecKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject])
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-sha256",
    "-out",
    `${name}.crt`,
    "-extfile",
    `${name}.ext`
  ])
}

/**
 * A fresh CA with a server certificate (SAN IP:127.0.0.1, DNS:localhost) and a client certificate for
 * `clientName`; with "", a client certificate without a common name (etcd's JSON gateway refuses a
 * client certificate that has one).
 */
export const makeTestCerts = (clientName = "root"): TestCerts => {
  assertOpensslInstalled()
  const dir = mkdtempSync(join(tmpdir(), "mdeploy-certs-"))
  openssl(dir, ["req", "-x509", ...ecKey, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=mdeploy test CA"])
  signed(
    dir,
    "server",
    "/CN=localhost",
    [
      "subjectAltName = IP:127.0.0.1, DNS:localhost",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth, clientAuth",
      ""
    ].join("\n")
  )
  signed(
    dir,
    "client",
    clientName === "" ? "/O=mdeploy test client" : `/CN=${clientName}`,
    [
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = clientAuth",
      ""
    ].join("\n")
  )
  return {
    dir,
    caFile: join(dir, "ca.crt"),
    serverCertFile: join(dir, "server.crt"),
    serverKeyFile: join(dir, "server.key"),
    clientCertFile: join(dir, "client.crt"),
    clientKeyFile: join(dir, "client.key"),
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}
