import { assert, describe, it } from "@effect/vitest"
import * as Etcd from "etcd3"
import { fromEtcd } from "../../src/store/Etcd3Errors.ts"

// grpc-js reports every failed TLS handshake as UNAVAILABLE; the message says which flag to check.
const unavailable = (lastError: string) =>
  fromEtcd("https://127.0.0.1:2379", "list")(
    new Etcd.GRPCUnavailableError(`14 UNAVAILABLE: No connection established. Last error: ${lastError}. Resolution note: `)
  )

describe("StoreError", () => {
  it.each([
    [
      "40DDE670D97F0000:error:0A000412:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:918:SSL alert number 42",
      "etcd refused the TLS handshake: client certificate missing or not trusted (check --etcd-cert/--etcd-key)"
    ],
    [
      "40DDE670D97F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:SSL alert number 116",
      "etcd refused the TLS handshake: client certificate missing or not trusted (check --etcd-cert/--etcd-key)"
    ],
    [
      "Error: unable to verify the first certificate; if the root CA is installed locally, try running Node.js with --use-system-ca",
      "cannot verify etcd's TLS certificate: unable to verify the first certificate (check --etcd-ca)"
    ],
    [
      "Error: Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: 127.0.0.1",
      "etcd's TLS certificate does not name the endpoint's host (use a host or IP the certificate lists)"
    ],
    [
      "C0E7C8D1A37F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number",
      "TLS handshake with etcd failed (is the endpoint's scheme, http or https, right?)"
    ],
    ["Failed to connect (2026-12-02T18:25:49.076Z)", "cannot reach etcd (is it running, and is the endpoint right?)"]
  ])("%s", (lastError, message) => {
    const error = unavailable(lastError)
    assert.strictEqual(error.reason, "Unavailable")
    assert.strictEqual(error.oneLine, `etcd https://127.0.0.1:2379: list: ${message}`)
  })
})
