// Test harness for real etcd: starts members on free loopback ports, builds store layers against
// them, and drives etcd itself (compaction, restarts) through its own HTTP gateway so tests need
// no second client library.
import { Layer } from "effect"
import type { EtcdCluster } from "../../src/store/LocalEtcd.ts"
import { startLocalEtcd } from "../../src/store/LocalEtcd.ts"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { etcdSpecStoreLayer } from "../../src/store/EtcdSpecStore.ts"

export type { EtcdCluster }
export { startLocalEtcd }

let prefixCounter = 0
/** A prefix of its own for each test, so tests sharing one etcd never see each other's keys. */
export const uniquePrefix = (label: string): string => `/t${process.pid}-${++prefixCounter}-${label}/mdeploy/v1`

export const etcdLayer = (cluster: EtcdCluster, prefix: string, callTimeoutMs = 2_000) =>
  EtcdClient.layer({ endpoints: cluster.endpoints.split(","), prefix, callTimeoutMs, dialTimeoutMs: 1_000 })

export const specStoreLayer = (cluster: EtcdCluster, prefix: string) =>
  etcdSpecStoreLayer.pipe(Layer.provideMerge(etcdLayer(cluster, prefix)))

const gateway = async (cluster: EtcdCluster, path: string, body: unknown): Promise<any> => {
  const endpoint = cluster.members.find((member) => member.process !== undefined)?.clientUrl
  if (endpoint === undefined) throw new Error("no running etcd member")
  const response = await fetch(`${endpoint}${path}`, { method: "POST", body: JSON.stringify(body) })
  if (!response.ok) throw new Error(`etcd ${path}: HTTP ${response.status} ${await response.text()}`)
  return response.json()
}

/** The cluster's current revision. */
export const currentRevision = async (cluster: EtcdCluster): Promise<bigint> => {
  const body = await gateway(cluster, "/v3/kv/range", { key: Buffer.from("\0").toString("base64") })
  return BigInt(body.header.revision)
}

/** Compacts away every revision before the current one, physically. */
export const compact = async (cluster: EtcdCluster): Promise<bigint> => {
  const revision = await currentRevision(cluster)
  await gateway(cluster, "/v3/kv/compaction", { revision: revision.toString(), physical: true })
  return revision
}

/** A raw put through the gateway, as an out-of-band writer would. */
export const rawPut = (cluster: EtcdCluster, key: string, value: string) =>
  gateway(cluster, "/v3/kv/put", { key: Buffer.from(key).toString("base64"), value: Buffer.from(value).toString("base64") })

/** Deletes every key under `prefix` in one request, as `etcdctl del --prefix` does. */
export const rawDeletePrefix = (cluster: EtcdCluster, prefix: string) => {
  const start = Buffer.from(prefix)
  const end = Buffer.from(prefix)
  end[end.length - 1] = end[end.length - 1]! + 1
  return gateway(cluster, "/v3/kv/deleterange", { key: start.toString("base64"), range_end: end.toString("base64") })
}

/** The raw value of one key, or undefined. */
export const rawGet = async (cluster: EtcdCluster, key: string): Promise<string | undefined> => {
  const body = await gateway(cluster, "/v3/kv/range", { key: Buffer.from(key).toString("base64") })
  const value = body.kvs?.[0]?.value
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8")
}

/** The create revision of one key ("0": no such key), as a Fence carries it. */
export const rawCreateRevision = async (cluster: EtcdCluster, key: string): Promise<string> => {
  const body = await gateway(cluster, "/v3/kv/range", { key: Buffer.from(key).toString("base64") })
  return String(body.kvs?.[0]?.create_revision ?? "0")
}

/** How many keys start with `prefix`. */
export const rawCount = async (cluster: EtcdCluster, prefix: string): Promise<number> => {
  const start = Buffer.from(prefix)
  const end = Buffer.from(prefix)
  end[end.length - 1] = end[end.length - 1]! + 1
  const body = await gateway(cluster, "/v3/kv/range", {
    key: start.toString("base64"),
    range_end: end.toString("base64"),
    count_only: true
  })
  return Number(body.count ?? 0)
}
