// Which agents Mesos maintenance is draining (paasta-behaviour.md §4.6): their tasks are "at
// risk". Reads the Mesos master's `GET /maintenance/status`. Marathon itself knows nothing of
// maintenance. A Mesos that does not answer in time means "no host draining" (PaaSTA §1.8 step 6):
// the bounce must not stop because maintenance status is unavailable.
import type { Duration } from "effect"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"

const MachineId = Schema.Struct({
  hostname: Schema.optional(Schema.NullOr(Schema.String)),
  ip: Schema.optional(Schema.NullOr(Schema.String))
})

export const MaintenanceStatus = Schema.Struct({
  draining_machines: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({ id: MachineId }))))
})

export interface MesosMaintenanceConfig {
  /** Mesos master base URL, e.g. http://mesos-master:5050 (the emulator answers on its own URL). */
  readonly url: string
  readonly timeout?: Duration.Input
}

export class MesosMaintenance extends Context.Service<MesosMaintenance, {
  /** Hostnames and IPs of draining agents; empty when Mesos is unreachable or slow. */
  readonly drainingHosts: Effect.Effect<ReadonlySet<string>>
}>()("mdeploy/marathon/MesosMaintenance") {
  /** Needs an HttpClient. */
  static readonly layerNoDeps = (config: MesosMaintenanceConfig) =>
    Layer.effect(
      MesosMaintenance,
      Effect.gen(function*() {
        const http = yield* HttpClient.HttpClient
        const decode = Schema.decodeUnknownOption(Schema.fromJsonString(MaintenanceStatus))
        const drainingHosts = http.execute(HttpClientRequest.get(`${config.url.replace(/\/+$/, "")}/maintenance/status`)).pipe(
          Effect.flatMap((response) => response.text),
          Effect.timeout(config.timeout ?? "10 seconds"),
          Effect.map((text) => {
            const machines = Option.getOrUndefined(decode(text))?.draining_machines ?? []
            return new Set(machines.flatMap(({ id }) => [id.hostname, id.ip].filter((h): h is string => typeof h === "string")))
          }),
          Effect.catch((error) =>
            Effect.as(Effect.logWarning("Mesos maintenance status unavailable; assuming no host is draining", error), new Set<string>())
          ),
          Effect.withSpan("MesosMaintenance.drainingHosts")
        )
        return MesosMaintenance.of({ drainingHosts })
      })
    )

  /** No maintenance information: nothing is ever at risk. */
  static readonly layerNone = Layer.succeed(MesosMaintenance, MesosMaintenance.of({ drainingHosts: Effect.succeed(new Set()) }))
}
