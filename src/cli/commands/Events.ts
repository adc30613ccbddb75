// `mdeploy events [NAME] [--watch] [-o json]` (design.md §13): what happened to instances in the
// last hour, newest first. --watch prints the events there are, then one line per new or repeated
// event as etcd's watch delivers it, until interrupted (exit 0).
import { Console, DateTime, Effect, Layer, Option, Result, Schema, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { EventRecorder } from "../../events/EventRecorder.ts"
import type { ListedEvent } from "../../events/InstanceEvent.ts"
import { InstanceEvent, newestFirst } from "../../events/InstanceEvent.ts"
import { EtcdClient } from "../../store/EtcdClient.ts"
import { etcdEventRecorderLayer } from "../../store/EtcdEventRecorder.ts"
import { informer } from "../../store/Informer.ts"
import { makeKeys } from "../../store/Keys.ts"
import { eventHeaders, eventRow, eventTable } from "../render/EventTable.ts"
import { renderTable } from "../render/Table.ts"
import { root } from "../Root.ts"
import { withStores } from "../Stores.ts"

const decode = Schema.decodeUnknownResult(Schema.fromJsonString(InstanceEvent))

const follow = (instance: string | undefined) =>
  Effect.gen(function*() {
    const keys = makeKeys((yield* EtcdClient).prefix)
    const prefix = instance === undefined ? keys.events : keys.eventsOf(instance)
    const seen: Array<ListedEvent> = []
    let synced = false
    yield* informer<ListedEvent>({
      prefix,
      parse: (key, value) => {
        const decoded = decode(value)
        if (Result.isFailure(decoded)) return new Error(decoded.failure.message)
        const rest = key.slice(keys.events.length)
        return { instance: rest.slice(0, rest.indexOf("/")), event: decoded.success }
      }
    }).pipe(
      Stream.runForEach((change) =>
        Effect.gen(function*() {
          const now = DateTime.toEpochMillis(yield* DateTime.now)
          if (change._tag === "Synced" && !synced) {
            synced = true
            const rows = [...newestFirst(seen)].reverse().map((listed) => eventRow(listed, now))
            yield* Console.log(renderTable([...eventHeaders], rows))
          } else if (change._tag === "Upsert") {
            if (synced) yield* Console.log(renderTable([...eventHeaders], [eventRow(change.value, now)]).split("\n").slice(1).join("\n"))
            else seen.push(change.value)
          }
        })
      )
    )
  })

export const events = Command.make(
  "events",
  {
    name: Argument.String("name").pipe(Argument.withDescription("only this instance's events"), Argument.optional),
    watch: Flag.Boolean("watch").pipe(
      Flag.withAlias("w"),
      Flag.withDescription("keep printing new events until interrupted"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("Cli.events")(function*({ name, watch }) {
    const instance = Option.getOrUndefined(name)
    const flags = yield* root
    yield* withStores(Effect.gen(function*() {
      const etcd = yield* EtcdClient
      if (watch) return yield* follow(instance)
      const listed = yield* Effect.flatMap(EventRecorder, (recorder) => recorder.list(instance)).pipe(
        Effect.provide(etcdEventRecorderLayer.pipe(Layer.provide(Layer.succeed(EtcdClient, etcd))))
      )
      if (flags.output === "json") {
        return yield* Console.log(
          JSON.stringify({ items: newestFirst(listed).map((l) => ({ instance: l.instance, ...l.event })) }, null, 2)
        )
      }
      if (listed.length === 0) {
        return yield* Console.error(instance === undefined ? "no events in the last hour" : `no events for ${instance} in the last hour`)
      }
      yield* Console.log(eventTable(listed, DateTime.toEpochMillis(yield* DateTime.now)))
    }))
  })
).pipe(
  Command.withDescription("What happened to instances in the last hour (apps created, tasks drained and killed, rollouts, refusals)"),
  Command.withExamples([
    { command: "mdeploy events web.main", description: "web.main's events, newest first" },
    { command: "mdeploy events --watch", description: "Follow every instance's events" }
  ])
)
