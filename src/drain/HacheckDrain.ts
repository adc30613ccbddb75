// hacheck drain (paasta-behaviour.md §5.2): marks each load-balancer registration of a task down
// in hacheck's spool (`http://<host>:<port>/spool/<registration>/<first task port>/status`).
// The delay is measured from the moment hacheck recorded the down state; hacheck reverts to up
// on its own after `expiration` (0 = 10 × delay) if the bounce forgets the task.
// Registrations are single path segments (the schema refuses `/`, `?`, `#`, `..`; they are also
// percent-encoded), and every URL is checked to address the task's host on hacheckPort before use.
import { DateTime, Effect } from "effect"
import type { HttpClient } from "effect/http"
import { HttpClientRequest } from "effect/http"
import { drainUrlTargetProblem } from "../domain/DrainEndpoint.ts"
import type { TaskRef } from "../plan/Action.ts"
import type { DrainMethod, DrainOperation } from "./DrainMethod.ts"
import { DrainError } from "./DrainMethod.ts"

export interface HacheckParams {
  readonly delay: number
  readonly hacheckPort: number
  readonly expiration: number
  readonly registrations: ReadonlyArray<string>
}

export interface SpoolStatus {
  readonly up: boolean
  /** Epoch seconds of the down state; absent = long ago. */
  readonly since: number | undefined
}

const statusPattern = /^Service \S+ in (\S+) state(?: since ([0-9.]+))?(?: until ([0-9.]+))?(?:: .*)?$/s

/** Parses hacheck's "Service <name> in <state> state[ since <t>][ until <t>][: <reason>]". */
export const parseSpoolStatus = (status: number, body: string): SpoolStatus => {
  if (status === 200) return { up: true, since: undefined }
  const match = statusPattern.exec(body.trim())
  if (match === null) return { up: false, since: undefined }
  return { up: match[1] === "up", since: match[2] === undefined ? undefined : Number(match[2]) }
}

export const spoolUrls = (task: TaskRef, params: HacheckParams): ReadonlyArray<string> | undefined => {
  const port = task.ports[0]
  if (port === undefined) return undefined
  const urls = params.registrations.map((registration) =>
    `http://${task.host}:${params.hacheckPort}/spool/${encodeURIComponent(registration)}/${port}/status`
  )
  return urls.every((url) => isSpoolUrlOf(url, task, params.hacheckPort)) ? urls : undefined
}

/** The URL addresses the task's host on the hacheck port, in a /spool/<one segment>/<port>/status path. */
const isSpoolUrlOf = (url: string, task: TaskRef, hacheckPort: number): boolean =>
  drainUrlTargetProblem(url, { host: task.host, ports: [hacheckPort] }) === undefined &&
  /^\/spool\/[^/]+\/[0-9]+\/status$/.test(new URL(url).pathname)

export const makeHacheckDrain = (client: HttpClient.HttpClient, params: HacheckParams): DrainMethod => {
  const fail = (operation: DrainOperation, task: TaskRef, message: string) =>
    new DrainError({ method: "hacheck", operation, taskId: task.id, message })
  const urls = (operation: DrainOperation, task: TaskRef) => {
    const found = spoolUrls(task, params)
    return found === undefined
      ? Effect.fail(fail(operation, task, "task has no ports, or its host or a registration does not make a spool URL of that host"))
      : Effect.succeed(found)
  }
  const send = (operation: DrainOperation, task: TaskRef, request: HttpClientRequest.HttpClientRequest) =>
    client.execute(request).pipe(
      Effect.flatMap((response) => Effect.map(response.text, (body) => ({ status: response.status, body }))),
      Effect.mapError((error) => fail(operation, task, error.message))
    )
  const setStatus = (operation: "drain" | "stopDraining", task: TaskRef, form: Record<string, string>) =>
    Effect.gen(function*() {
      for (const url of yield* urls(operation, task)) {
        const result = yield* send(operation, task, HttpClientRequest.post(url).pipe(HttpClientRequest.bodyUrlParams(form)))
        if (result.status < 200 || result.status > 299) {
          return yield* fail(operation, task, `hacheck answered ${result.status} for ${url}`)
        }
      }
    })
  const statuses = (operation: DrainOperation, task: TaskRef) =>
    Effect.gen(function*() {
      const found: Array<SpoolStatus> = []
      for (const url of yield* urls(operation, task)) {
        const result = yield* send(operation, task, HttpClientRequest.get(url))
        found.push(parseSpoolStatus(result.status, result.body))
      }
      return found
    })
  const expiration = params.expiration > 0 ? params.expiration : 10 * params.delay

  return {
    name: "hacheck",
    safeOnDrain: false,
    drain: (task) =>
      Effect.gen(function*() {
        const now = DateTime.toEpochMillis(yield* DateTime.now) / 1000
        yield* setStatus("drain", task, {
          status: "down",
          expiration: String(Math.floor(now + expiration)),
          reason: "Drained by mdeploy"
        })
      }),
    stopDraining: (task) => setStatus("stopDraining", task, { status: "up" }),
    isDraining: (task) => Effect.map(statuses("isDraining", task), (found) => !found.every((status) => status.up)),
    isSafeToKill: (task) =>
      Effect.gen(function*() {
        const found = yield* statuses("isSafeToKill", task)
        if (found.every((status) => status.up)) return { safe: false }
        const latest = Math.max(...found.map((status) => status.since ?? 0))
        const safeAt = DateTime.makeUnsafe((latest + params.delay) * 1000)
        return { safe: DateTime.toEpochMillis(yield* DateTime.now) > DateTime.toEpochMillis(safeAt), safeAt }
      })
  }
}
