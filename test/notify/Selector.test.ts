import { assert, describe, it } from "@effect/vitest"
import { dedupeKeyOf, dedupeKeyText } from "../../src/notify/NotificationLedger.ts"
import { isNotifiable, selects, wants } from "../../src/notify/Selector.ts"
import { signature, verifySignature } from "../../src/notify/Signature.ts"
import { createHmac } from "node:crypto"

const notifier = (spec: Record<string, unknown>) =>
  ({
    metadata: { name: "n", uid: "u", generation: 1, resourceVersion: "1", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { urlEnv: "X", format: "generic" as const, events: ["RolloutSucceeded", "Stalled"] as const, ...spec }
  }) as never

const at = (time: string) => ({ reason: "RolloutSucceeded", lastTimestamp: time, labels: { team: "payments", tier: "web" } })

describe("which notifier hears of an event", () => {
  it("all selector labels must be on the instance; an empty selector selects everything", () => {
    assert.isTrue(selects(undefined, undefined))
    assert.isTrue(selects({}, { team: "a" }))
    assert.isTrue(selects({ team: "payments" }, { team: "payments", tier: "web" }))
    assert.isFalse(selects({ team: "payments", tier: "batch" }, { team: "payments", tier: "web" }))
    assert.isFalse(selects({ team: "payments" }, undefined))
  })

  it("only the notifiable reasons it lists, only events not older than the notifier", () => {
    assert.isTrue(isNotifiable("SyncFailed"))
    assert.isFalse(isNotifiable("TasksKilled"))
    assert.isTrue(wants(notifier({ selector: { team: "payments" } }), at("2026-01-01T00:00:01Z")))
    assert.isFalse(wants(notifier({ selector: { team: "search" } }), at("2026-01-01T00:00:01Z")))
    assert.isFalse(wants(notifier({}), { ...at("2026-01-01T00:00:01Z"), reason: "CleanupRefused" }))
    assert.isFalse(wants(notifier({}), { ...at("2026-01-01T00:00:01Z"), reason: "AppCreated" }))
    assert.isFalse(wants(notifier({}), at("2025-12-31T23:59:59Z")), "the last hour is not replayed to a new notifier")
  })
})

describe("the dedupe key", () => {
  it("(notifier, instance, generation, reason): the message, count and times do not matter", () => {
    const event = { reason: "Stalled", context: { generation: 4 } }
    assert.deepStrictEqual(dedupeKeyOf("n", "web.main", event), { notifier: "n", subject: "web.main", generation: 4, reason: "Stalled" })
    assert.strictEqual(dedupeKeyText(dedupeKeyOf("n", "web.main", event)), "n/web.main/4/Stalled")
    assert.strictEqual(dedupeKeyOf("n", "web.main", { reason: "Stalled" }).generation, 0)
  })

  it("a GitSource's SyncFailed is keyed by the failing commit too: a new failing commit is news", () => {
    const failed = (revision: string) => ({ reason: "SyncFailed", context: { generation: 1, revision } })
    assert.strictEqual(dedupeKeyOf("n", "gitsource:prod", failed("1234567890abcdef Fix")).reason, "SyncFailed.1234567890ab")
    assert.notDeepEqual(dedupeKeyOf("n", "gitsource:prod", failed("aaaa x")), dedupeKeyOf("n", "gitsource:prod", failed("bbbb x")))
    assert.strictEqual(dedupeKeyOf("n", "gitsource:prod", { reason: "SyncFailed", context: { generation: 1 } }).reason, "SyncFailed")
  })
})

describe("the signature", () => {
  it("X-Signature: sha256=<hex HMAC-SHA256 of the exact body>, checkable by any receiver", () => {
    const body = JSON.stringify({ a: 1 })
    const expected = `sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`
    assert.strictEqual(signature("s3cret", body), expected)
    assert.isTrue(verifySignature("s3cret", body, expected))
    assert.isFalse(verifySignature("other", body, expected))
    assert.isFalse(verifySignature("s3cret", `${body} `, expected))
    assert.isFalse(verifySignature("s3cret", body, undefined))
  })
})
