// The etcd cluster's id, as every etcd answer header carries it: with the key prefix, what the
// default owner id of an installation is derived from (design.md §11).
import { Effect } from "effect"
import { EtcdClient } from "./EtcdClient.ts"

export const etcdClusterId = Effect.gen(function*() {
  const etcd = yield* EtcdClient
  const response = yield* etcd.callIdempotent("read cluster id", (client) => client.get(`${etcd.prefix}/leader`).exec())
  return String(response.header.cluster_id)
})
