import { assert, describe, it } from "@effect/vitest"
import { lastAppliedAnnotation, lastAppliedSpec, mergeApplied } from "../../src/domain/LastApplied.ts"
import type { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"

const document = (spec: ServiceInstanceSpec, lastApplied?: ServiceInstanceSpec): ServiceInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: {
    name: "web.main",
    ...(lastApplied === undefined ? {} : { annotations: { [lastAppliedAnnotation]: JSON.stringify(lastApplied) } })
  },
  spec
})

describe("mergeApplied", () => {
  it("keeps imperative fields the last apply did not set, drops those it did", () => {
    const stored = document({ image: "a", paused: true, forceBounce: "t1" }, { image: "a", paused: true })
    const merged = mergeApplied(document({ image: "b" }), stored)
    assert.deepStrictEqual(merged.spec, { image: "b", forceBounce: "t1" })
  })

  it("keeps a scaled instance count unless the manifest owns instances", () => {
    const scaled = document({ image: "a", instances: 5 }, { image: "a" })
    assert.deepStrictEqual(mergeApplied(document({ image: "b" }), scaled).spec, { image: "b", instances: 5 })
    assert.deepStrictEqual(mergeApplied(document({ image: "b", instances: 2 }), scaled).spec, { image: "b", instances: 2 })
  })

  it("lets the manifest win where it sets the field", () => {
    const stored = document({ image: "a", paused: true }, { image: "a" })
    assert.deepStrictEqual(mergeApplied(document({ image: "a", paused: false }), stored).spec, { image: "a", paused: false })
  })

  it("never keeps declarative fields the manifest left out", () => {
    const stored = document({ image: "a", env: { A: "1" }, cpus: 2 })
    assert.deepStrictEqual(mergeApplied(document({ image: "a" }), stored).spec, { image: "a" })
  })

  it("treats a missing or unreadable annotation as 'the last apply set nothing'", () => {
    const stored = document({ image: "a", paused: true })
    assert.deepStrictEqual(mergeApplied(document({ image: "a" }), stored).spec, { image: "a", paused: true })
    const garbled = { ...stored, metadata: { ...stored.metadata, annotations: { [lastAppliedAnnotation]: "{" } } }
    assert.isUndefined(lastAppliedSpec(garbled))
    assert.deepStrictEqual(mergeApplied(document({ image: "a" }), garbled).spec, { image: "a", paused: true })
  })

  it("records the manifest's spec, sorted, in the annotation, beside the manifest's own annotations", () => {
    const manifest = {
      ...document({ mem: 64, image: "a" }),
      metadata: { name: "web.main", annotations: { owner: "me" } }
    } as ServiceInstance
    const merged = mergeApplied(manifest, undefined)
    assert.deepStrictEqual(merged.metadata.annotations, { owner: "me", [lastAppliedAnnotation]: "{\"image\":\"a\",\"mem\":64}" })
  })
})
