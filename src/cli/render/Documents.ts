// Pure: stored instances as the documents `get -o yaml|json` prints. Key order is fixed
// (apiVersion, kind, metadata, spec, status) so output is stable and re-appliable as it is.
import { stringify } from "yaml"
import type { InstanceStatus } from "../../domain/InstanceStatus.ts"
import type { StoredInstance } from "../../store/SpecStore.ts"

export const toDocument = (instance: StoredInstance, status: InstanceStatus | undefined): Record<string, unknown> => {
  const { name, labels, annotations, uid, generation, resourceVersion, creationTimestamp } = instance.metadata
  return {
    apiVersion: instance.apiVersion,
    kind: instance.kind,
    metadata: {
      name,
      ...(labels === undefined ? {} : { labels }),
      ...(annotations === undefined ? {} : { annotations }),
      uid,
      generation,
      resourceVersion,
      creationTimestamp
    },
    spec: instance.spec,
    ...(status === undefined ? {} : { status })
  }
}

export const toYaml = (documents: ReadonlyArray<unknown>): string =>
  documents.map((document) => stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n")

/** One document as itself; several as a list, as kubectl does. */
export const toJson = (documents: ReadonlyArray<unknown>, single: boolean): string =>
  `${JSON.stringify(single ? documents[0] : { apiVersion: "mdeploy.dev/v1", kind: "ServiceInstanceList", items: documents }, null, 2)}\n`
