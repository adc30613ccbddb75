// The read-only stores over etcd's JSON gateway (GatewayStores, EtcdGateway) against a real etcd,
// compared with the etcd3 layers on the same keys: the same items, revisions and corrupt entries,
// paged with a tiny page size; endpoints that are dead or frozen handed over to the next one; TLS
// with client certificates and user/password auth; and the same StoreErrors, worded alike.
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Option } from "effect"
import { request } from "node:https"
import { readFileSync } from "node:fs"
import { afterAll, beforeAll } from "vitest"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import type { EtcdOptions } from "../../src/store/EtcdOptions.ts"
import { etcdSpecStoreLayer } from "../../src/store/EtcdSpecStore.ts"
import { EtcdGateway } from "../../src/store/EtcdGateway.ts"
import { gatewayStoreLayer } from "../../src/store/GatewayStores.ts"
import { gatewayServes } from "../../src/store/GatewayTransport.ts"
import { freePort } from "../../src/store/LocalEtcd.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import { StatusStore } from "../../src/store/StatusStore.ts"
import { StoreError } from "../../src/store/StoreError.ts"
import type { TestCerts } from "../harness/certs.ts"
import { makeTestCerts } from "../harness/certs.ts"
import { runCli } from "../harness/cli.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const instance = (name: string, image: string): ServiceInstance =>
  ({
    apiVersion: "mdeploy.dev/v1",
    kind: "ServiceInstance",
    metadata: { name: name as InstanceName, labels: { team: "t" } },
    spec: { image, instances: 2 }
  }) as unknown as ServiceInstance

const etcd3Stores = (options: EtcdOptions) =>
  Layer.mergeAll(etcdSpecStoreLayer, StatusStore.layerNoDeps).pipe(Layer.provideMerge(EtcdClient.layer(options)))

/** Everything a read-only command reads, through whichever layer is given. */
const readAll = (names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const specs = yield* SpecStore
    const statuses = yield* StatusStore
    const list = yield* specs.list()
    const got = []
    for (const name of names) got.push(yield* specs.get(name as InstanceName))
    const history = yield* specs.history(names[0] as InstanceName)
    const status = yield* statuses.get(names[0] as InstanceName)
    const statusList = [...(yield* statuses.list())]
    return { list, got, history, status, statusList }
  })

/** Which member leads, from each member's /v3/maintenance/status. */
const leaderIndex = async (cluster: EtcdCluster): Promise<number> => {
  const statuses = await Promise.all(cluster.members.map(async (member) => {
    const response = await fetch(`${member.clientUrl}/v3/maintenance/status`, { method: "POST", body: "{}" })
    return (await response.json()) as { header: { member_id: string }; leader: string }
  }))
  return statuses.findIndex((status) => status.header.member_id === status.leader)
}

const failure = <A, R>(effect: Effect.Effect<A, unknown, R>) => effect.pipe(Effect.flip, Effect.map((error) => error as StoreError))

describe("reads through the JSON gateway", () => {
  it.live("give what the etcd3 layers give: lists paged 2 by 2, one revision, missing keys, history, corrupt specs", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix("gateway")
      const options: EtcdOptions = { endpoints: etcd.endpoints.split(","), prefix, retries: 1 }
      const names = ["a.main", "b.main", "c.main", "d.main", "e.main"]
      yield* Effect.gen(function*() {
        const specs = yield* SpecStore
        for (const name of names) yield* specs.apply(instance(name, `${name}:1`))
        yield* specs.apply(instance("a.main", "a:2"))
        yield* specs.apply(instance("a.main", "a:3"))
      }).pipe(Effect.provide(etcd3Stores(options)))
      yield* Effect.promise(async () => {
        await rawPut(etcd, `${prefix}/specs/broken.main`, "{not json")
        await rawPut(etcd, `${prefix}/status/a.main`, JSON.stringify({ observedGeneration: 1, phase: "Running" }))
        await rawPut(etcd, `${prefix}/status/gone.main`, JSON.stringify({ observedGeneration: 1, phase: "Running" }))
        // Right after the specs/ range (its end is "specs0"): must not be listed.
        await rawPut(etcd, `${prefix}/specs0`, "outside")
      })
      const wanted = [...names, "nope.main"]
      const viaEtcd3 = yield* readAll(wanted).pipe(Effect.provide(etcd3Stores(options)))
      const viaGateway = yield* readAll(wanted).pipe(Effect.provide(gatewayStoreLayer({ ...options, pageSize: 2 })))
      assert.deepStrictEqual(viaGateway, viaEtcd3)
      assert.strictEqual(viaGateway.list.items.length, names.length)
      assert.deepStrictEqual(viaGateway.list.corrupt.map((error) => error.key), [`${prefix}/specs/broken.main`])
      assert.isTrue(Option.isNone(viaGateway.got.at(-1)!))
      assert.deepStrictEqual(viaGateway.history.map((entry) => entry.spec.image), ["a.main:1", "a:2", "a:3"])
      assert.deepStrictEqual(viaGateway.statusList.map(([name]) => name), ["a.main", "gone.main"])
    }))

  it.live("a long list is one snapshot: every page is read at the first page's revision", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix("gateway-snapshot")
      yield* Effect.promise(async () => {
        for (let index = 0; index < 6; index++) await rawPut(etcd, `${prefix}/specs/k${index}`, `v${index}`)
      })
      const gateway = yield* EtcdGateway
      const first = yield* gateway.list("list", `${prefix}/specs/`)
      // A key written after the first listing's revision is not in a listing pinned there; a new
      // listing (paged one key at a time) sees it and moves its revision.
      yield* Effect.promise(() => rawPut(etcd, `${prefix}/specs/k9`, "late"))
      const second = yield* gateway.list("list", `${prefix}/specs/`)
      assert.deepStrictEqual(first.kvs.map((kv) => kv.key.slice(prefix.length)), [0, 1, 2, 3, 4, 5].map((i) => `/specs/k${i}`))
      assert.strictEqual(second.kvs.length, 7)
      assert.isTrue(BigInt(second.revision) > BigInt(first.revision))
      assert.strictEqual(second.kvs.at(-1)!.value, "late")
    }).pipe(Effect.provide(EtcdGateway.layer({ endpoints: etcd.endpoints.split(","), prefix: "/", pageSize: 1, retries: 0 }))))

  it.live("a dead first endpoint hands the read to the next one; with none left, the error etcd3 gives", () =>
    Effect.gen(function*() {
      const dead = `http://127.0.0.1:${yield* Effect.promise(freePort)}`
      const prefix = uniquePrefix("gateway-failover")
      yield* Effect.promise(() => rawPut(etcd, `${prefix}/specs/x`, "{}"))
      const listed = yield* Effect.flatMap(EtcdGateway, (gateway) => gateway.list("list", `${prefix}/specs/`)).pipe(
        Effect.provide(EtcdGateway.layer({ endpoints: [dead, etcd.endpoints], prefix, retries: 0, dialTimeoutMs: 500 }))
      )
      assert.deepStrictEqual(listed.kvs.map((kv) => kv.key), [`${prefix}/specs/x`])
      const options: EtcdOptions = { endpoints: [dead], prefix, retries: 1, dialTimeoutMs: 500, callTimeoutMs: 1_000 }
      const viaGateway = yield* failure(readAll(["a.main"]).pipe(Effect.provide(gatewayStoreLayer(options))))
      const viaEtcd3 = yield* failure(readAll(["a.main"]).pipe(Effect.provide(etcd3Stores(options))))
      assert.instanceOf(viaGateway, StoreError)
      assert.strictEqual(viaGateway.reason, "Unavailable")
      assert.strictEqual(viaGateway.oneLine, viaEtcd3.oneLine)
    }))

  it.live("a frozen member (connects, never answers) times out and the next member answers", () =>
    Effect.gen(function*() {
      const cluster = yield* Effect.acquireRelease(
        Effect.promise(() => startLocalEtcd({ members: 3 })),
        (cluster) => Effect.promise(() => cluster.close())
      )
      // A follower is frozen, so that no election (and its "leader changed" answers) is involved.
      const leader = yield* Effect.promise(() => leaderIndex(cluster))
      const follower = cluster.members.findIndex((_, index) => index !== leader)
      const endpoints = [follower, ...cluster.members.keys()].filter((index, at, all) => all.indexOf(index) === at)
        .map((index) => cluster.members[index]!.clientUrl)
      yield* Effect.promise(() => rawPut(cluster, "/frozen/specs/x", "{}"))
      const gateway = yield* EtcdGateway.layer({ endpoints, prefix: "/frozen", retries: 0, callTimeoutMs: 700 }).pipe(
        Layer.build,
        Effect.map((context) => Context.get(context, EtcdGateway))
      )
      yield* gateway.list("list", "/frozen/specs/")
      cluster.freeze(follower)
      try {
        const listed = yield* gateway.list("list", "/frozen/specs/")
        assert.deepStrictEqual(listed.kvs.map((kv) => kv.key), ["/frozen/specs/x"])
        const alone = yield* failure(
          Effect.flatMap(EtcdGateway, (only) => only.get("get", "/frozen/specs/x")).pipe(
            Effect.provide(EtcdGateway.layer({ endpoints: [endpoints[0]!], prefix: "/frozen", retries: 0, callTimeoutMs: 700 }))
          )
        )
        assert.strictEqual(alone.reason, "Timeout")
        assert.strictEqual(alone.oneLine, `etcd ${endpoints[0]}: get: etcd did not answer in time`)
      } finally {
        cluster.thaw(follower)
      }
    }), 60_000)
})

describe("reads through the JSON gateway, TLS with client certificates and user/password auth", () => {
  let certs: TestCerts
  let secured: EtcdCluster
  const password = "s3cret"
  /** One request to the secured etcd's gateway with the test's client certificate; its answer's body. */
  const post = (path: string, body: unknown, token?: string) =>
    new Promise<string>((resolve, reject) => {
      const url = new URL(`${secured.endpoints}${path}`)
      const sent = request({
        hostname: url.hostname,
        port: url.port,
        path,
        method: "POST",
        ca: readFileSync(certs.caFile),
        cert: readFileSync(certs.clientCertFile),
        key: readFileSync(certs.clientKeyFile),
        ...(token === undefined ? {} : { headers: { authorization: token } })
      }, (response) => {
        let text = ""
        response.on("data", (chunk) => (text += chunk))
        response.on("end", () =>
          response.statusCode === 200 ? resolve(text) : reject(new Error(`${path}: HTTP ${response.statusCode} ${text}`)))
      })
      sent.on("error", reject)
      sent.end(JSON.stringify(body))
    })
  beforeAll(async () => {
    // The client certificate has no common name: the password is what authenticates (and etcd's
    // gateway refuses certificates with one, see GatewayStores.gatewayServes).
    certs = makeTestCerts("")
    secured = await startLocalEtcd({ tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, trustedCaFile: certs.caFile } })
    await post("/v3/auth/user/add", { name: "root", password })
    await post("/v3/auth/user/grant", { user: "root", role: "root" })
    await post("/v3/auth/enable", {})
  })
  afterAll(async () => {
    await secured?.close()
    certs?.remove()
  })

  const optionsFor = (prefix: string, extra: Partial<EtcdOptions> = {}): EtcdOptions => ({
    endpoints: secured.endpoints.split(","),
    prefix,
    retries: 1,
    tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
    auth: { user: "root", password },
    ...extra
  })

  it.live("reads what etcd3 reads", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix("gateway-tls")
      const options = optionsFor(prefix)
      yield* Effect.flatMap(SpecStore, (specs) => specs.apply(instance("a.main", "a:1"))).pipe(Effect.provide(etcd3Stores(options)))
      const viaEtcd3 = yield* readAll(["a.main", "nope.main"]).pipe(Effect.provide(etcd3Stores(options)))
      const viaGateway = yield* readAll(["a.main", "nope.main"]).pipe(Effect.provide(gatewayStoreLayer(options)))
      assert.deepStrictEqual(viaGateway, viaEtcd3)
      assert.strictEqual(viaGateway.list.items.length, 1)
    }))

  it("mdeploy get, describe and rollout history read over TLS with a password, as apply wrote", async () => {
    const prefix = uniquePrefix("gateway-tls-cli")
    const env = {
      MDEPLOY_ETCD_ENDPOINTS: secured.endpoints,
      MDEPLOY_ETCD_PREFIX: prefix,
      MDEPLOY_ETCD_CA: certs.caFile,
      MDEPLOY_ETCD_CERT: certs.clientCertFile,
      MDEPLOY_ETCD_KEY: certs.clientKeyFile,
      MDEPLOY_ETCD_USER: "root",
      MDEPLOY_ETCD_PASSWORD: password,
      MDEPLOY_MARATHON_URLS: "http://127.0.0.1:9"
    }
    const stdin = "apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: web.main\nspec:\n  image: web:1\n  instances: 2\n"
    const applied = await runCli(["apply", "-f", "-"], { env, stdin })
    assert.strictEqual(applied.code, 0, applied.stderr)
    const listed = await runCli(["get", "-o", "json"], { env })
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.deepStrictEqual(JSON.parse(listed.stdout).items.map((item: any) => item.spec.image), ["web:1"])
    const described = await runCli(["describe", "web.main"], { env })
    assert.strictEqual(described.code, 0, described.stderr)
    assert.include(described.stdout, "web:1")
    const history = await runCli(["rollout", "history", "web.main"], { env })
    assert.strictEqual(history.code, 0, history.stderr)
    assert.include(history.stdout, "web:1")
    const refused = await runCli(["get"], { env: { ...env, MDEPLOY_ETCD_PASSWORD: "nope" } })
    assert.strictEqual(refused.code, 2)
    assert.strictEqual(
      refused.stderr,
      `error: etcd ${secured.endpoints}: list: authentication failed or missing (check --etcd-user/--etcd-password)\n`
    )
  }, 60_000)

  it.live("fails as etcd3 fails: a wrong password, no password, no client certificate, no CA", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix("gateway-tls-refused")
      const { auth: _, ...anonymous } = optionsFor(prefix)
      const cases: ReadonlyArray<[string, EtcdOptions]> = [
        ["wrong password", optionsFor(prefix, { auth: { user: "root", password: "nope" } })],
        ["no password", anonymous],
        ["no client certificate", optionsFor(prefix, { tls: { caFile: certs.caFile } })],
        ["no CA", optionsFor(prefix, { tls: { certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } })]
      ]
      for (const [what, options] of cases) {
        const viaGateway = yield* failure(readAll(["a.main"]).pipe(Effect.provide(gatewayStoreLayer(options))))
        const viaEtcd3 = yield* failure(readAll(["a.main"]).pipe(Effect.provide(etcd3Stores(options))))
        assert.strictEqual(viaGateway.reason, viaEtcd3.reason, what)
        // grpc-js words a TLS failure now as what went wrong, now as no connection at all; node:https
        // always gives the cause, which the CLI's contract names (test/cli/EtcdTls).
        if (what === "no client certificate") {
          assert.strictEqual(
            viaGateway.oneLine,
            `etcd ${secured.endpoints}: list: etcd refused the TLS handshake: client certificate missing or not trusted (check --etcd-cert/--etcd-key)`
          )
        } else if (what === "no CA") {
          assert.match(
            viaGateway.oneLine,
            /^etcd https:\/\/127\.0\.0\.1:\d+: list: cannot verify etcd's TLS certificate: .+ \(check --etcd-ca\)$/
          )
        } else assert.strictEqual(viaGateway.oneLine, viaEtcd3.oneLine, what)
      }
    }), 60_000)

  it.live("a token etcd forgot is renewed once, and the read succeeds", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix("gateway-token")
      const options = optionsFor(prefix)
      yield* Effect.flatMap(SpecStore, (specs) => specs.apply(instance("a.main", "a:1"))).pipe(Effect.provide(etcd3Stores(options)))
      const twoReads = Effect.gen(function*() {
        const before = yield* readAll(["a.main"])
        // etcd forgets every simple token when auth is disabled; enabled again, the token the
        // gateway cached is refused with "invalid auth token" (as after its TTL).
        yield* Effect.promise(async () => {
          const { token } = JSON.parse(await post("/v3/auth/authenticate", { name: "root", password })) as { token: string }
          await post("/v3/auth/disable", {}, token)
          await post("/v3/auth/enable", {})
        })
        const after = yield* readAll(["a.main"])
        return { before, after }
      })
      // One layer, so both reads share the gateway and its cached token.
      const { before, after } = yield* twoReads.pipe(Effect.provide(gatewayStoreLayer(options)))
      assert.strictEqual(before.list.items.length, 1)
      assert.deepStrictEqual(after, before)
    }), 60_000)

  it("a client certificate with a common name is left to etcd3: etcd's gateway refuses it", () => {
    const named = makeTestCerts("root")
    try {
      assert.isTrue(gatewayServes(optionsFor("/p")))
      assert.isFalse(
        gatewayServes(optionsFor("/p", { tls: { caFile: named.caFile, certFile: named.clientCertFile, keyFile: named.clientKeyFile } }))
      )
      assert.isTrue(gatewayServes({ endpoints: ["http://127.0.0.1:2379"], prefix: "/p" }))
    } finally {
      named.remove()
    }
  })
})
