import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Option, Result, Schema } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll } from "vitest"
import { parseManifests } from "../../src/cli/input/parseManifests.ts"
import { toDocument, toYaml } from "../../src/cli/render/Documents.ts"
import { canonicalJson } from "../../src/domain/CanonicalJson.ts"
import { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { specStoreLayer, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

/** What a user writes: the generated document without server-set metadata or status. */
const asManifest = (document: ServiceInstance): ServiceInstance => {
  const { uid: _u, generation: _g, resourceVersion: _r, creationTimestamp: _c, ...metadata } = document.metadata
  return { apiVersion: document.apiVersion, kind: document.kind, metadata, spec: document.spec }
}

const singleDocument = (file: string, text: string): ServiceInstance => {
  const parsed = parseManifests(file, text)
  if (Result.isFailure(parsed)) throw new Error(JSON.stringify(parsed.failure))
  assert.strictEqual(parsed.success.length, 1)
  return parsed.success[0]!.document
}

describe("round trip: YAML → store → get -o yaml", () => {
  // Schema-derived documents, in sizes from small to large. (Arbitrary.checkEffect starts at size 0,
  // where no valid instance name exists, so the generated cases are sampled per size instead.)
  it("keeps every spec the schema accepts unchanged", async () => {
    const layer = specStoreLayer(etcd, uniquePrefix("roundtrip"))
    const failures = await Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* SpecStore
        const failures: Array<string> = []
        for (const size of [2, 4, 8, 12, 16]) {
          const samples = yield* Arbitrary.sampleEffect(Arbitrary.schema(ServiceInstance), { count: 30, size, seed: 20261125 + size })
          for (const generated of samples) {
            const manifest = asManifest(generated)
            const applied = singleDocument("in.yaml", toYaml([manifest]))
            yield* store.apply(applied, {})
            const stored = Option.getOrThrow(yield* store.get(manifest.metadata.name))
            const printed = singleDocument("get.yaml", toYaml([toDocument(stored, undefined)]))
            const same = canonicalJson(printed.spec) === canonicalJson(manifest.spec) &&
              canonicalJson(printed.metadata.labels ?? {}) === canonicalJson(manifest.metadata.labels ?? {}) &&
              canonicalJson(printed.metadata.annotations ?? {}) === canonicalJson(manifest.metadata.annotations ?? {}) &&
              printed.metadata.resourceVersion === stored.metadata.resourceVersion
            if (!same) failures.push(JSON.stringify({ manifest, printed }))
          }
        }
        return failures
      }).pipe(Effect.provide(layer))
    )
    assert.deepStrictEqual(failures.slice(0, 1), [])
  })
})

describe("invalid documents", () => {
  const validDocuments = Arbitrary.schema(ServiceInstance)

  type Mutation = { readonly path: string; readonly apply: (document: any) => void }
  const mutations: ReadonlyArray<Mutation> = [
    {
      path: "spec.zz_unknown",
      apply: (d) => {
        d.spec.zz_unknown = 1
      }
    },
    {
      path: "metadata.zz_unknown",
      apply: (d) => {
        d.metadata.zz_unknown = "x"
      }
    },
    {
      path: "spec.instances",
      apply: (d) => {
        d.spec.instances = "three"
      }
    },
    {
      path: "spec.cpus",
      apply: (d) => {
        d.spec.cpus = -1
      }
    },
    {
      path: "metadata.name",
      apply: (d) => {
        d.metadata.name = "Not A Name"
      }
    },
    {
      path: "spec.bounce.marginFactor",
      apply: (d) => {
        d.spec.bounce = { ...d.spec.bounce, marginFactor: 0 }
      }
    },
    {
      path: "kind",
      apply: (d) => {
        d.kind = "Deployment"
      }
    }
  ]

  it("are rejected with the path of the offending field", async () => {
    const samples = await Effect.runPromise(Arbitrary.sampleEffect(validDocuments, { count: 60, seed: 7 }))
    samples.forEach((sample, index) => {
      const mutation = mutations[index % mutations.length]!
      const document = structuredClone(asManifest(sample))
      mutation.apply(document)
      const parsed = parseManifests("bad.yaml", toYaml([document]))
      assert.isTrue(Result.isFailure(parsed), `mutation ${mutation.path} was accepted`)
      const problems = Result.isFailure(parsed) ? parsed.failure : []
      assert.isTrue(
        problems.some((problem) => problem.path === mutation.path && problem.line >= 1),
        `${mutation.path} not reported: ${JSON.stringify(problems)}`
      )
    })
  })

  it("never crash the parser, whatever the bytes", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.anything().map((value) => JSON.stringify(value) ?? "")),
        (text) => {
          const parsed = parseManifests("fuzz.yaml", text)
          if (Result.isFailure(parsed)) {
            return parsed.failure.every((problem) => problem.line >= 1 && problem.message.length > 0)
          }
          return parsed.success.every((entry) => Schema.is(ServiceInstance)(entry.document))
        }
      ),
      { numRuns: 500, seed: 42 }
    )
  })
})
