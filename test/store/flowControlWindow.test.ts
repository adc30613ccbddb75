import { assert, describe, it } from "@effect/vitest"
import { grpcFlowControlWindow } from "../../src/store/EtcdOptions.ts"
import { defaultListPageSize } from "../../src/store/Informer.ts"

// A list page is sent in as many steps as it has windows; each step waits for the event loop of a
// process that may be busy parsing the page before (EtcdOptions.ts). The largest values the
// informers page through are statuses: about 1.2 KB each at the benchmark's fleet (11.3 MiB for
// 10,000), up to several times that with a long rollout history.
describe("etcd connections' flow-control window", () => {
  it("holds a whole list page of large statuses, so that etcd never waits for this process mid-page", () => {
    const largeStatusBytes = 8 * 1024
    assert.isAtLeast(grpcFlowControlWindow, defaultListPageSize * largeStatusBytes)
  })
})
