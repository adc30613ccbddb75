// ReadStores.ts with what the controller records beside the specs (rollouts, events, notification
// deliveries), for `describe` and `rollout history`; kept apart so that `get` loads none of it.
import { Layer } from "effect"
import type { EventRecorder } from "../events/EventRecorder.ts"
import type { NotificationLedger } from "../notify/NotificationLedger.ts"
import type { RolloutStore } from "../rollouts/RolloutStore.ts"
import { etcdEventRecorderLayer } from "../store/EtcdEventRecorder.ts"
import { etcdNotificationLedgerLayer } from "../store/EtcdNotificationLedger.ts"
import type { EtcdOptions } from "../store/EtcdOptions.ts"
import { etcdRolloutStoreLayer } from "../store/EtcdRolloutStore.ts"
import { gatewayRecordsLayer } from "../store/GatewayRecords.ts"
import { gatewayStoreLayer } from "../store/GatewayStores.ts"
import { gatewayServes } from "../store/GatewayTransport.ts"
import type { StoreError } from "../store/StoreError.ts"
import type { ReadStores } from "./StoreLayers.ts"
import { readingWith } from "./ReadStores.ts"
import { storeLayer } from "./StoreLayers.ts"

export const readRecordsLayer = (
  options: EtcdOptions
): Layer.Layer<ReadStores | RolloutStore | EventRecorder | NotificationLedger, StoreError> =>
  gatewayServes(options)
    ? gatewayRecordsLayer.pipe(Layer.provideMerge(gatewayStoreLayer(options)))
    : Layer.mergeAll(etcdRolloutStoreLayer, etcdEventRecorderLayer, etcdNotificationLedgerLayer).pipe(
      Layer.provideMerge(storeLayer(options))
    )

/** Runs `body` with the read-only stores, RolloutStore, EventRecorder and NotificationLedger. */
export const withReadRecords = readingWith(readRecordsLayer)
