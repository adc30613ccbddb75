// Follows one instance's spec and status keys through etcd watches (two informers, list + watch)
// and emits a snapshot whenever either changes, once both have been listed. No polling: a new
// snapshot means etcd reported a write. A spec deletion is a snapshot with no instance.
import { Option, Schema, Stream } from "effect"
import type { InstanceStatus as Status } from "../../../domain/InstanceStatus.ts"
import { InstanceStatus } from "../../../domain/InstanceStatus.ts"
import type { EtcdClient } from "../../../store/EtcdClient.ts"
import type { InformerEvent } from "../../../store/Informer.ts"
import { informer } from "../../../store/Informer.ts"
import { makeKeys } from "../../../store/Keys.ts"
import type { StoredInstance } from "../../../store/SpecStore.ts"
import { parseStored } from "../../../store/SpecStore.ts"

export interface InstanceSnapshot {
  readonly instance: Option.Option<StoredInstance>
  readonly status: Option.Option<Status>
  /** Set when the stored spec cannot be read. */
  readonly corrupt: Option.Option<string>
}

type Change =
  | { readonly source: "spec"; readonly event: InformerEvent<StoredInstance> }
  | { readonly source: "status"; readonly event: InformerEvent<Status> }

interface State {
  readonly snapshot: InstanceSnapshot
  readonly specSynced: boolean
  readonly statusSynced: boolean
}

const decodeStatus = Schema.decodeUnknownResult(InstanceStatus)

export const parseStatus = (_key: string, value: string): Status | Error => {
  try {
    const decoded = decodeStatus(JSON.parse(value))
    return decoded._tag === "Success" ? decoded.success : new Error(decoded.failure.message)
  } catch {
    return new Error("status is not JSON")
  }
}

/** Folds one informer event into the snapshot; events for other keys under the same prefix are ignored. */
const fold = (state: State, change: Change, keys: { readonly spec: string; readonly status: string }): State => {
  if (change.event._tag === "Synced") {
    return change.source === "spec" ? { ...state, specSynced: true } : { ...state, statusSynced: true }
  }
  if (change.event.key !== keys[change.source]) return state
  const snapshot = state.snapshot
  if (change.source === "spec") {
    const event = change.event
    switch (event._tag) {
      case "Upsert":
        return { ...state, snapshot: { ...snapshot, instance: Option.some(event.value), corrupt: Option.none() } }
      case "Delete":
        return { ...state, snapshot: { ...snapshot, instance: Option.none() } }
      case "Invalid":
        return { ...state, snapshot: { ...snapshot, instance: Option.none(), corrupt: Option.some(event.error.message) } }
    }
  }
  const event = change.event
  switch (event._tag) {
    case "Upsert":
      return { ...state, snapshot: { ...snapshot, status: Option.some(event.value) } }
    // Unreadable status counts as none: the controller rewrites it on its next reconcile.
    case "Delete":
    case "Invalid":
      return { ...state, snapshot: { ...snapshot, status: Option.none() } }
  }
  return state
}

export const watchInstance = (prefix: string, name: string): Stream.Stream<InstanceSnapshot, never, EtcdClient> => {
  const all = makeKeys(prefix)
  const keys = { spec: all.spec(name), status: all.status(name) }
  // A key is its own prefix; the exact-key check in `fold` drops longer names that share it.
  const specs = informer<StoredInstance>({ prefix: keys.spec, parse: parseStored }).pipe(
    Stream.map((event): Change => ({ source: "spec", event }))
  )
  const statuses = informer<Status>({ prefix: keys.status, parse: parseStatus }).pipe(
    Stream.map((event): Change => ({ source: "status", event }))
  )
  const initial: State = {
    snapshot: { instance: Option.none(), status: Option.none(), corrupt: Option.none() },
    specSynced: false,
    statusSynced: false
  }
  return Stream.merge(specs, statuses).pipe(
    Stream.mapAccum(() => initial, (state, change) => {
      const next = fold(state, change, keys)
      const ready = next.specSynced && next.statusSynced
      // Emit once both lists are in, then on every change that touched this instance.
      const emit = ready && (!(state.specSynced && state.statusSynced) || next.snapshot !== state.snapshot)
      return [next, emit ? [next.snapshot] : []] as const
    })
  )
}
