import { assert, describe, it } from "@effect/vitest"
import { parseRevision, revisionText } from "../../src/domain/GitSource.ts"
import type { NotificationFacts } from "../../src/notify/Payload.ts"
import { genericPayload, payloadOf, slackPayload, statusUrlOf } from "../../src/notify/Payload.ts"
import { statusBaseUrl } from "../../src/notify/StatusUrl.ts"

const facts: NotificationFacts = {
  notifier: "payments-slack",
  subject: "web.main",
  generation: 3,
  type: "Normal",
  reason: "RolloutSucceeded",
  message: "generation 3 rolled out as /web.main.gitabc.config1",
  count: 1,
  firstTimestamp: "2026-01-01T00:00:00.000Z",
  lastTimestamp: "2026-01-01T00:00:00.000Z",
  appId: "/web.main.gitabc.config1",
  traceId: "0af7651916cd43dd8448eb211c80319c",
  revision: revisionText("1234567890abcdef1234567890abcdef12345678", "Raise web to 3 <instances>\n\nbody"),
  statusUrl: "http://mdeploy.example:8080/instances/web.main"
}

describe("notification payloads", () => {
  it("generic: the event plus instance, generation, app, revision, commit subject, trace and status URL", () => {
    assert.deepStrictEqual(genericPayload(facts), {
      apiVersion: "mdeploy.dev/v1",
      kind: "Notification",
      notifier: "payments-slack",
      event: {
        type: "Normal",
        reason: "RolloutSucceeded",
        message: facts.message,
        count: 1,
        firstTimestamp: facts.firstTimestamp,
        lastTimestamp: facts.lastTimestamp
      },
      instance: "web.main",
      generation: 3,
      appId: "/web.main.gitabc.config1",
      revision: "1234567890abcdef1234567890abcdef12345678",
      commit: "Raise web to 3 <instances>",
      traceId: facts.traceId,
      statusUrl: facts.statusUrl
    })
  })

  it("generic without a GitSource or status page: the fields are there, null", () => {
    const payload = genericPayload({ ...facts, revision: undefined, statusUrl: undefined, appId: undefined }) as Record<string, unknown>
    assert.deepStrictEqual([payload["revision"], payload["commit"], payload["statusUrl"], payload["appId"]], [null, null, null, null])
  })

  it("slack: text names instance, event, generation, app, trace, revision and the link; blocks escape markup", () => {
    const payload = slackPayload({ ...facts, type: "Warning", reason: "Stalled", message: "no progress <for> 600s & more" }) as {
      text: string
      blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }>
    }
    for (
      const part of [
        "web.main",
        "Stalled",
        "generation 3",
        "/web.main.gitabc.config1",
        facts.traceId!,
        "1234567890ab",
        "Raise web to 3",
        facts.statusUrl!
      ]
    ) {
      assert.include(payload.text, part)
    }
    assert.include(payload.blocks[0]!.text!.text, "<http://mdeploy.example:8080/instances/web.main|web.main: Stalled (generation 3)>")
    assert.include(payload.blocks[0]!.text!.text, "no progress &lt;for&gt; 600s &amp; more")
    assert.include(payload.blocks[1]!.elements!.map((element) => element.text).join(" "), "&lt;instances&gt;")
  })

  it("the same facts give the same bytes (a retry and its signature match the first attempt)", () => {
    assert.strictEqual(payloadOf("slack", facts), payloadOf("slack", { ...facts }))
    assert.strictEqual(payloadOf("generic", facts), JSON.stringify(genericPayload(facts)))
  })

  it("the revision annotation is compact: commit and first line of the subject, cut at 72", () => {
    assert.strictEqual(revisionText("abc", ""), "abc")
    const long = revisionText("abc", "x".repeat(100))
    assert.strictEqual(parseRevision(long).subject?.length, 72)
    assert.deepStrictEqual(parseRevision("abc Fix it"), { commit: "abc", subject: "Fix it" })
    assert.deepStrictEqual(parseRevision("abc"), { commit: "abc", subject: undefined })
  })

  it("status URLs: --status-url wins, else derived from --http-addr, a wildcard host becomes the hostname", () => {
    assert.strictEqual(statusBaseUrl("https://deploy.example/", "0.0.0.0:8080", "h1"), "https://deploy.example")
    assert.strictEqual(statusBaseUrl(undefined, "0.0.0.0:8080", "h1"), "http://h1:8080")
    assert.strictEqual(statusBaseUrl(undefined, ":8080", "h1"), "http://h1:8080")
    assert.strictEqual(statusBaseUrl(undefined, "127.0.0.1:9000", "h1"), "http://127.0.0.1:9000")
    assert.strictEqual(statusBaseUrl(undefined, "[::1]:9000", "h1"), "http://[::1]:9000")
    assert.isUndefined(statusBaseUrl(undefined, undefined, "h1"))
    assert.strictEqual(statusUrlOf("http://h1:8080/", "web.main"), "http://h1:8080/instances/web.main")
    // A GitSource has no instance page: the link goes to the status page itself.
    assert.strictEqual(statusUrlOf("http://h1:8080", "gitsource:prod"), "http://h1:8080")
  })
})
