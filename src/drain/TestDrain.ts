// test drain: the drain record is the whole state. A task is draining while it has a record and
// becomes safe to kill `params.delay` seconds (default 1) after `requestedAt`, so bounces that
// wait for drains can be exercised without a load balancer, across controller restarts too.
import { DateTime, Effect } from "effect"
import type { DrainMethod } from "./DrainMethod.ts"

export const testDrainDefaultDelaySeconds = 1

export const makeTestDrain = (delaySeconds: number = testDrainDefaultDelaySeconds): DrainMethod => ({
  name: "test",
  safeOnDrain: delaySeconds === 0,
  // The executor writes and removes the record; there is no backend to tell.
  drain: () => Effect.void,
  stopDraining: () => Effect.void,
  drainingFromRecord: (record) => record !== undefined,
  isDraining: (_task, record) => Effect.succeed(record !== undefined),
  isSafeToKill: (_task, record) =>
    Effect.gen(function*() {
      if (record === undefined) return { safe: false }
      const safeAt = DateTime.add(record.requestedAt, { seconds: delaySeconds })
      const now = yield* DateTime.now
      return { safe: DateTime.toEpochMillis(now) >= DateTime.toEpochMillis(safeAt), safeAt }
    })
})
