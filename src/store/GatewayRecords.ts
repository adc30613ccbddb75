// What the controller records beside the specs (rollouts, events, notification deliveries), read
// through etcd's JSON gateway for `describe` and `rollout history`: the same keys, parsed by the same
// functions as the etcd layers. Only `list` reads; recording is the controller's, and here a defect.
import { Effect, Layer } from "effect"
import { EventRecorder } from "../events/EventRecorder.ts"
import { NotificationLedger } from "../notify/NotificationLedger.ts"
import { RolloutStore } from "../rollouts/RolloutStore.ts"
import { EtcdGateway } from "./EtcdGateway.ts"
import { eventsOf } from "./EtcdEventRecorder.ts"
import { deliveriesOf } from "./EtcdNotificationLedger.ts"
import { rolloutsOf } from "./EtcdRolloutStore.ts"
import { makeKeys } from "./Keys.ts"

const readOnly = (method: string) => () => Effect.die(new Error(`${method}: this store reads through etcd's JSON gateway and cannot write`))

const entries = (kvs: ReadonlyArray<{ readonly key: string; readonly value: string }>) => kvs.map((kv) => [kv.key, kv.value] as const)

const rolloutStore = Layer.effect(
  RolloutStore,
  Effect.gen(function*() {
    const etcd = yield* EtcdGateway
    const keys = makeKeys(etcd.prefix)
    const list = Effect.fn("RolloutStore.list")(function*(instance: string) {
      const { kvs } = yield* etcd.list("list rollouts", keys.rolloutsOf(instance))
      return rolloutsOf(kvs.map((kv) => kv.value))
    })
    return RolloutStore.of({ list, record: readOnly("RolloutStore.record") })
  })
)

const eventRecorder = Layer.effect(
  EventRecorder,
  Effect.gen(function*() {
    const etcd = yield* EtcdGateway
    const keys = makeKeys(etcd.prefix)
    const list = Effect.fn("EventRecorder.list")(function*(instance?: string) {
      const { kvs } = yield* etcd.list("list events", instance === undefined ? keys.events : keys.eventsOf(instance))
      return eventsOf(keys.events, entries(kvs))
    })
    return EventRecorder.of({ list, record: readOnly("EventRecorder.record") })
  })
)

const notificationLedger = Layer.effect(
  NotificationLedger,
  Effect.gen(function*() {
    const etcd = yield* EtcdGateway
    const keys = makeKeys(etcd.prefix)
    const list = Effect.fn("NotificationLedger.list")(function*(notifier: string) {
      const prefix = `${keys.notifications}${notifier}/`
      const { kvs } = yield* etcd.list("list notifications", prefix)
      return deliveriesOf(prefix, entries(kvs))
    })
    return NotificationLedger.of({
      list,
      claim: readOnly("NotificationLedger.claim"),
      settle: readOnly("NotificationLedger.settle"),
      touch: readOnly("NotificationLedger.touch")
    })
  })
)

/** RolloutStore, EventRecorder and NotificationLedger, read-only, on an EtcdGateway. */
export const gatewayRecordsLayer: Layer.Layer<RolloutStore | EventRecorder | NotificationLedger, never, EtcdGateway> = Layer
  .mergeAll(rolloutStore, eventRecorder, notificationLedger)
