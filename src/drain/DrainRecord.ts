// A drain record (design.md §3, CONTRACT: key `<p>/drain/<name>/<taskId>`, value
// `{requestedAt, method, appId}`): the controller's own memory that it asked for a task to be
// drained, so a bounce survives a controller restart and the `test` method can time its delay.
// Data only; the DrainRecords service stores it.
import { Schema } from "effect"
import { DrainMethodName } from "../domain/Drain.ts"

export const DrainRecord = Schema.Struct({
  /** When mdeploy first asked for the drain (ISO-8601 UTC in JSON). */
  requestedAt: Schema.DateTimeUtcFromString,
  method: DrainMethodName,
  appId: Schema.String
})
export type DrainRecord = typeof DrainRecord.Type

/** The JSON text stored under `<p>/drain/<name>/<taskId>`. */
export const DrainRecordJson = Schema.fromJsonString(DrainRecord)
