// The ServiceInstance resource (design.md §2, CONTRACT): one `service.instance` on Marathon.
// metadata.uid/generation/resourceVersion/creationTimestamp are set by the store; in documents
// given to `apply` they are accepted (so `get -o yaml` output can be re-applied) and only
// resourceVersion is used, as the compare-and-swap precondition.
import { Schema } from "effect"
import { InstanceName } from "./InstanceName.ts"
import { InstanceStatus } from "./InstanceStatus.ts"
import { LabelKey, Labels } from "./Labels.ts"
import { ServiceInstanceSpec } from "./ServiceInstanceSpec.ts"

export const apiVersion = "mdeploy.dev/v1"
export const kind = "ServiceInstance"

export const ResourceMetadata = Schema.Struct({
  name: InstanceName,
  labels: Schema.optionalKey(Labels),
  annotations: Schema.optionalKey(Schema.Record(LabelKey, Schema.String)),
  uid: Schema.optionalKey(Schema.String.annotate({ description: "server-set" })),
  generation: Schema.optionalKey(Schema.Int.annotate({ description: "server-set; bumped when spec changes" })),
  resourceVersion: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^[0-9]+$/, { message: "must be a decimal etcd revision" })).annotate({
      description: "server-set; when present in an applied document the write fails if it is stale"
    })
  ),
  creationTimestamp: Schema.optionalKey(Schema.String.annotate({ description: "server-set" }))
})
export type ResourceMetadata = typeof ResourceMetadata.Type

export const ServiceInstance = Schema.Struct({
  apiVersion: Schema.Literal(apiVersion),
  kind: Schema.Literal(kind),
  metadata: ResourceMetadata,
  spec: ServiceInstanceSpec,
  status: Schema.optionalKey(InstanceStatus)
}).annotate({
  title: "ServiceInstance",
  description: "A service.instance deployed to Marathon by mdeploy"
})
export type ServiceInstance = typeof ServiceInstance.Type
