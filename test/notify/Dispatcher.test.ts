import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Metric, Ref } from "effect"
import { HttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import type { InstanceEvent } from "../../src/events/InstanceEvent.ts"
import type { DispatcherConfig, Job } from "../../src/notify/Dispatcher.ts"
import { makeDispatcher, notificationsTotal } from "../../src/notify/Dispatcher.ts"
import type { DedupeKey, DeliveryRecord } from "../../src/notify/NotificationLedger.ts"
import { dedupeKeyText, NotificationLedger } from "../../src/notify/NotificationLedger.ts"
import { verifySignature } from "../../src/notify/Signature.ts"
import type { StoredNotifier } from "../../src/store/NotifierStore.ts"
import type { FakeAnswer } from "../marathon/FakeHttp.ts"
import { fakeHttp } from "../marathon/FakeHttp.ts"

const notifier = (spec: Partial<StoredNotifier["spec"]> = {}): StoredNotifier => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "Notifier",
  metadata: { name: "ops", uid: "u", generation: 1, resourceVersion: "1", creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: { urlEnv: "HOOK", format: "generic", events: ["RolloutSucceeded", "Stalled"], ...spec }
})

const event = (reason = "RolloutSucceeded", generation = 2): InstanceEvent => ({
  type: "Normal",
  reason,
  message: `generation ${generation}`,
  count: 1,
  firstTimestamp: "2026-01-01T00:01:00Z",
  lastTimestamp: "2026-01-01T00:01:00Z",
  traceId: "trace-1",
  context: { generation, appId: "/web.main.x" }
})

const job = (subject: string, reason?: string, generation?: number, spec?: Partial<StoredNotifier["spec"]>): Job => ({
  notifier: notifier(spec),
  subject,
  event: event(reason, generation)
})

/** A ledger whose claims can be made to expire, as a dead leader's lease would. */
const testLedger = Effect.sync(() => {
  const records = new Map<string, { record: DeliveryRecord; token: string }>()
  let revision = 0
  const service = NotificationLedger.of({
    claim: (key, holder) =>
      Effect.sync(() => {
        const existing = records.get(dedupeKeyText(key))
        if (existing !== undefined) return { _tag: "Taken", record: existing.record } as const
        const token = String(++revision)
        records.set(dedupeKeyText(key), { token, record: { state: "claimed", by: holder, at: "" } })
        return { _tag: "Claimed", token } as const
      }),
    settle: (key, token, record) =>
      Effect.sync(() => {
        if (records.get(dedupeKeyText(key))?.token !== token) return false
        records.set(dedupeKeyText(key), { token: String(++revision), record })
        return true
      }),
    touch: () => Effect.void,
    list: () => Effect.succeed([])
  })
  return {
    service,
    records,
    claimAs: (key: DedupeKey, holder: string) =>
      records.set(dedupeKeyText(key), { token: "other", record: { state: "claimed", by: holder, at: "" } })
  }
})

const setup = (handler: (request: { body: string }) => FakeAnswer, config: Partial<DispatcherConfig> = {}) =>
  Effect.gen(function*() {
    const ledger = yield* testLedger
    const http = yield* fakeHttp(handler)
    const dispatcher = yield* makeDispatcher({
      env: { HOOK: "http://receiver/hook", KEY: "k3y" },
      statusUrl: "http://status",
      holder: "me",
      leaseId: "1",
      ...config
    }).pipe(
      Effect.provide(Layer.merge(Layer.succeed(NotificationLedger, ledger.service), Layer.succeed(HttpClient.HttpClient, http.client)))
    )
    return { ...ledger, ...http, dispatcher }
  })

const counted = (result: string) =>
  Effect.map(Metric.value(Metric.withAttributes(notificationsTotal, { notifier: "ops", result })), (state) => state.count)

/** Lets the workers run: moves the TestClock `seconds` seconds, a second at a time. */
const pass = (seconds: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < seconds; i++) yield* TestClock.adjust("1 second")
    yield* Effect.yieldNow
  })

describe("the notification dispatcher", () => {
  it.effect("an event seen again (flapping, a count bump, a relist) is sent once per (notifier, instance, generation, reason)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dispatcher, seen, records } = yield* setup(() => ({ status: 200 }))
      yield* dispatcher.offer(job("web.main"))
      yield* dispatcher.offer(job("web.main"))
      yield* pass(1)
      yield* dispatcher.offer(job("web.main"))
      yield* pass(1)
      assert.lengthOf(yield* Ref.get(seen), 1)
      assert.strictEqual(records.get("ops/web.main/2/RolloutSucceeded")?.record.state, "delivered")
      // Another generation, or another reason, is another notification.
      yield* dispatcher.offer(job("web.main", "RolloutSucceeded", 3))
      yield* dispatcher.offer(job("web.main", "Stalled", 3))
      yield* pass(1)
      assert.lengthOf(yield* Ref.get(seen), 3)
    })))

  it.effect("offering never waits for the receiver: a hanging receiver holds only the delivery fibers", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dispatcher, seen } = yield* setup(() => "hang")
      for (let i = 0; i < 50; i++) yield* dispatcher.offer(job(`svc${i}.main`))
      yield* pass(1)
      // Four deliveries in flight, the rest queued; the offers all returned at once.
      assert.lengthOf(yield* Ref.get(seen), 4)
    })))

  it.effect("a full queue drops its oldest job, and the rest are delivered", () =>
    Effect.scoped(Effect.gen(function*() {
      let mode: "hang" | "ok" = "hang"
      const { dispatcher, seen } = yield* setup(() => (mode === "hang" ? "hang" : { status: 200 }), { capacity: 2, concurrency: 1 })
      const [droppedBefore, deliveredBefore] = [yield* counted("dropped"), yield* counted("delivered")]
      yield* dispatcher.offer(job("a.main"))
      yield* pass(1) // a is in flight
      yield* dispatcher.offer(job("b.main"))
      yield* dispatcher.offer(job("c.main"))
      yield* dispatcher.offer(job("d.main")) // full: b, the oldest queued, goes
      mode = "ok"
      yield* pass(40)
      const sent = (yield* Ref.get(seen)).map((request) => (JSON.parse(request.body) as { instance: string }).instance)
      assert.deepStrictEqual(sent, ["a.main", "a.main", "c.main", "d.main"])
      // mdeploy_notifications_total{notifier,result}: one dropped, three delivered.
      assert.deepStrictEqual([(yield* counted("dropped")) - droppedBefore, (yield* counted("delivered")) - deliveredBefore], [1, 3])
    })))

  it.effect("a key another controller holds is waited on: sent once its claim expires, never while it holds", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dispatcher, seen, records, claimAs } = yield* setup(() => ({ status: 200 }))
      const key = { notifier: "ops", subject: "web.main", generation: 2, reason: "RolloutSucceeded" }
      claimAs(key, "old-leader")
      yield* dispatcher.offer(job("web.main"))
      yield* pass(5)
      assert.lengthOf(yield* Ref.get(seen), 0)
      records.delete(dedupeKeyText(key)) // the old leader's lease expired
      yield* pass(2)
      assert.lengthOf(yield* Ref.get(seen), 1)
      assert.strictEqual(records.get(dedupeKeyText(key))?.record.by, "me")
    })))

  it.effect("a key settled by another controller is not sent again", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dispatcher, seen, records } = yield* setup(() => ({ status: 200 }))
      records.set("ops/web.main/2/RolloutSucceeded", { token: "x", record: { state: "delivered", by: "old-leader", at: "" } })
      yield* dispatcher.offer(job("web.main"))
      yield* pass(2)
      assert.lengthOf(yield* Ref.get(seen), 0)
    })))

  it.effect("signed with secretEnv; a missing variable fails the notification without sending anything", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dispatcher, seen, records } = yield* setup(() => ({ status: 200 }))
      yield* dispatcher.offer(job("web.main", "RolloutSucceeded", 2, { secretEnv: "KEY" }))
      yield* dispatcher.offer(job("api.main", "RolloutSucceeded", 2, { urlEnv: "MISSING" }))
      yield* pass(1)
      const [request] = yield* Ref.get(seen)
      assert.lengthOf(yield* Ref.get(seen), 1)
      assert.isTrue(verifySignature("k3y", request!.body, request!.headers["x-signature"]))
      assert.strictEqual(request!.headers["x-mdeploy-delivery"], "ops/web.main/2/RolloutSucceeded")
      const failed = records.get("ops/api.main/2/RolloutSucceeded")?.record
      assert.strictEqual(failed?.state, "failed")
      assert.include(failed?.error ?? "", "MISSING is not set")
    })))

  it.effect("a receiver down for good: 5 attempts over 30 s, then the key is settled failed (no resend by a later leader)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dispatcher, seen, records } = yield* setup(() => ({ status: 503 }))
      const fiber = yield* Effect.forkChild(dispatcher.offer(job("web.main")))
      yield* Fiber.join(fiber)
      yield* pass(35)
      assert.lengthOf(yield* Ref.get(seen), 5)
      assert.deepStrictEqual(
        [records.get("ops/web.main/2/RolloutSucceeded")?.record.state, records.get("ops/web.main/2/RolloutSucceeded")?.record.attempts],
        ["failed", 5]
      )
    })))
})
