import { assert, describe, it } from "@effect/vitest"
import type { InstanceStatus } from "../../src/domain/InstanceStatus.ts"
import type { Rollout } from "../../src/rollouts/Rollout.ts"
import type { StoredInstance } from "../../src/store/SpecStore.ts"
import { parseSince } from "../../src/ui/ApiReads.ts"
import { instanceView, pageOrder } from "../../src/ui/InstanceView.ts"
import { contentSecurityPolicy, escapeHtml, indexMain, instanceMain, timeline } from "../../src/ui/StatusPage.ts"

const stored = (name: string, spec: Partial<StoredInstance["spec"]> = {}, annotations?: Record<string, string>): StoredInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: {
    name: name as any,
    uid: "u",
    generation: 2,
    resourceVersion: "7",
    creationTimestamp: "2026-01-01T00:00:00Z",
    ...(annotations === undefined ? {} : { annotations })
  },
  spec: {
    gitSha: "abcdef12",
    image: "web:2",
    instances: 3,
    env: { TOKEN: "s3cret" },
    drain: { method: "http", params: { url: "http://user:pw@drain.example/drain" } } as any,
    ...spec
  } as any
})

const status = (fields: Partial<InstanceStatus>): InstanceStatus => ({
  observedGeneration: 2,
  phase: "Running",
  tasks: { desired: 3, happyNew: 3, oldHappy: 0, oldUnhappy: 0, draining: 0, atRisk: 0 },
  ...fields
})

describe("what the page says about an instance", () => {
  it("stalled: phase Stalled, a failing pass, or a reported problem while not Running", () => {
    const view = (s: InstanceStatus | undefined) => instanceView(stored("web.main"), s, new Map())
    assert.isFalse(view(status({})).stalled)
    assert.isTrue(view(status({ phase: "Stalled", summary: "no progress for 600s" })).stalled)
    assert.isTrue(view(status({ phase: "Bouncing", lastReconcile: { at: "x", result: "Error", error: "marathon unreachable" } })).stalled)
    assert.strictEqual(
      view(status({ phase: "Bouncing", lastReconcile: { at: "x", result: "RequeueAfter", error: "2 drain call(s) failed" } }))
        .stalledReason,
      "2 drain call(s) failed"
    )
    assert.isFalse(view(status({ phase: "Running", lastReconcile: { at: "x", result: "RequeueAfter", error: "x" } })).stalled)
    // Not reconciled yet: in progress, not stalled.
    assert.deepStrictEqual([view(undefined).inProgress, view(undefined).stalled, view(undefined).phase], [true, false, "Pending"])
  })

  it("no secrets: env values, drain URLs with credentials and commands stay out", () => {
    const view = instanceView(stored("web.main", { cmd: "run --password=pw" }), status({}), new Map())
    const text = JSON.stringify(view) + instanceMain(view, "web.main", [], [], 0)
    for (const secret of ["s3cret", "user:pw", "drain.example", "--password"]) assert.notInclude(text, secret)
    assert.strictEqual(view.spec.drainMethod, "http")
  })

  it("the GitSource that wrote the spec, with the revision it last applied", () => {
    const view = instanceView(
      stored("web.main", {}, { "mdeploy.dev/source": "prod" }),
      status({}),
      new Map([["prod", { lastAppliedRevision: "0123456789abcdef", inventory: [], conditions: [], history: [] }]])
    )
    assert.deepStrictEqual(view.source, { name: "prod", revision: "0123456789abcdef" })
  })

  it("stalled first, then rollouts in progress, then the rest", () => {
    const views = [
      instanceView(stored("a.main"), status({}), new Map()),
      instanceView(stored("b.main"), status({ phase: "Bouncing" }), new Map()),
      instanceView(stored("c.main"), status({ phase: "Stalled" }), new Map())
    ]
    assert.deepStrictEqual(pageOrder(views).map((view) => view.name), ["c.main", "b.main", "a.main"])
  })
})

describe("the page's HTML", () => {
  const hostile = `<script>alert("x")</script>&'`

  it("escapes every name and message", () => {
    assert.strictEqual(escapeHtml(hostile), "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;")
    const view = instanceView(stored("web.main"), status({ phase: "Stalled", summary: hostile }), new Map())
    const events = [{
      instance: "web.main",
      event: { type: "Warning" as const, reason: hostile, message: hostile, count: 1, firstTimestamp: "t", lastTimestamp: "t" }
    }]
    const rollout: Rollout = {
      generation: 2,
      startedAt: "2026-01-01T00:00:00.000Z",
      result: "InProgress",
      steps: [{
        name: hostile,
        startedAt: "2026-01-01T00:00:00.000Z",
        finishedAt: "2026-01-01T00:00:01.000Z",
        attributes: {},
        traceId: hostile
      }]
    }
    for (
      const html of [
        indexMain({ items: [view], truncated: false }),
        instanceMain(view, "web.main", [rollout], events, Date.parse("2026-01-01T00:00:05Z"))
      ]
    ) {
      assert.notInclude(html, "<script>")
      assert.include(html, "&lt;script&gt;")
    }
  })

  it("a timeline bar per step, an unfinished rollout's wait running to now", () => {
    const rollout: Rollout = {
      generation: 2,
      startedAt: "2026-01-01T00:00:00.000Z",
      result: "InProgress",
      waitingFor: "drain",
      steps: [{
        name: "create app",
        startedAt: "2026-01-01T00:00:00.000Z",
        finishedAt: "2026-01-01T00:00:01.000Z",
        attributes: { "mdeploy.step.kind": "act" },
        traceId: "t"
      }]
    }
    const svg = timeline(rollout, Date.parse("2026-01-01T00:00:11Z"))
    assert.deepStrictEqual([...svg.matchAll(/data-step="([^"]+)"/g)].map((m) => m[1]), ["create app", "waiting for drain"])
    assert.include(svg, "waiting for drain (10.0s so far)")
  })

  it("allows only its own nonce'd script and style", () => {
    const policy = contentSecurityPolicy("abc")
    assert.include(policy, "default-src 'none'")
    assert.include(policy, "script-src 'nonce-abc'")
    assert.notInclude(policy, "unsafe-inline")
  })

  it("since: an ISO time or an age", () => {
    const now = Date.parse("2026-01-01T01:00:00Z")
    assert.strictEqual(parseSince("15m", now), now - 900_000)
    assert.strictEqual(parseSince("300", now), now - 300_000)
    assert.strictEqual(parseSince("2026-01-01T00:00:00Z", now), now - 3_600_000)
    assert.strictEqual(parseSince("soon", now), "invalid")
    assert.isUndefined(parseSince(null, now))
  })
})
