// The app endpoints' operations (spec §1.2–§1.8, §1.14): read and validate the body, merge it
// into the current definition, normalise, and commit through Writes. Every failure is thrown as
// the ApiError Marathon would answer with, before anything is stored.
import type { AppDef } from "../apps/AppDef.ts"
import { appCreateShape, appUpdateShape } from "../apps/AppFields.ts"
import { normalize, supersededBy, type Draft } from "../apps/AppNormalizer.ts"
import { appRuleErrors } from "../apps/AppRules.ts"
import { arr, isObject, read, type Json, type JsonObject, type PathErrors } from "../apps/Shape.ts"
import { hasCycle, type AppChange } from "../deploy/Plan.ts"
import { ancestors, canonical, parent } from "../ids/PathId.ts"
import { ApiError, appNotFound, invalidJson, notValid } from "./ApiError.ts"
import type { SimContext } from "./SimContext.ts"
import type { CommitResult, Writes } from "./Writes.ts"

export interface Caller {
  readonly clientIp: string
  readonly uri: string
}

const versionOnly = "The 'version' field may only be combined with the 'id' field."

export class AppCommands {
  private readonly ctx: SimContext
  private readonly writes: Writes
  constructor(ctx: SimContext, writes: Writes) {
    this.ctx = ctx
    this.writes = writes
  }

  /** POST /v2/apps. */
  create(body: Json, force: boolean, caller: Caller): CommitResult & { readonly def: AppDef } {
    const raw = readOrThrow(appCreateShape, body)
    const rawId = String(raw["id"])
    const id = canonical(rawId)
    const draft = this.prepare(id, rawId, raw, undefined, false)
    if (this.ctx.apps.has(id)) throw new ApiError(409, { message: `An app with id [${id}] already exists.` })
    const version = this.writes.nextVersion()
    const def = this.writes.versioned(draft, undefined, version)
    const result = this.commit([{ id, before: undefined, after: def }], force, version, parent(id), caller)
    return { ...result, def }
  }

  /** PUT /v2/apps/{id}: create or update; `{"version": ts}` rolls back. */
  put(pathId: string, body: Json, force: boolean, partial: boolean, caller: Caller): CommitResult & { readonly created: boolean } {
    const raw = readOrThrow(appUpdateShape, body)
    const id = canonical(pathId)
    const before = this.ctx.apps.get(id)?.def
    if (raw["version"] !== undefined) {
      if (Object.keys(raw).some((k) => k !== "id" && k !== "version")) throw notValid([{ path: "/", errors: [versionOnly] }])
      return { ...this.rollback(id, String(raw["version"]), force, caller), created: false }
    }
    const draft = this.prepare(id, pathId, raw, before, partial)
    const version = this.writes.nextVersion()
    const def = this.writes.versioned(draft, before, version)
    const result = this.commit([{ id, before, after: def }], force, version, parent(id), caller)
    return { ...result, created: before === undefined }
  }

  /** PATCH /v2/apps/{id}: a partial update of an existing app. */
  patch(pathId: string, body: Json, force: boolean, caller: Caller): CommitResult {
    const id = canonical(pathId)
    if (!this.ctx.apps.has(id)) {
      readOrThrow(appUpdateShape, body)
      throw appNotFound(id)
    }
    return this.put(pathId, body, force, true, caller)
  }

  /** PUT/PATCH /v2/apps: one deployment for the whole batch. */
  putMany(body: Json, force: boolean, partial: boolean, mustExist: boolean): CommitResult {
    const list = readOrThrow(arr(appCreateShape), body) as unknown as ReadonlyArray<JsonObject>
    const version = this.writes.nextVersion()
    const changes: Array<AppChange> = []
    for (const raw of list) {
      const rawId = String(raw["id"])
      const id = canonical(rawId)
      const before = this.ctx.apps.get(id)?.def
      if (before === undefined && mustExist) throw appNotFound(id)
      const draft = this.prepare(id, rawId, raw, before, partial)
      changes.push({ id, before, after: this.writes.versioned(draft, before, version) })
    }
    return this.commit(changes, force, version, "/", undefined)
  }

  /** DELETE /v2/apps/{id}; `force` defaults to true for this endpoint. */
  remove(pathId: string, force: boolean): CommitResult {
    const id = canonical(pathId)
    const before = this.ctx.apps.get(id)?.def
    if (before === undefined) throw appNotFound(id)
    return this.commit([{ id, before, after: undefined }], force, this.writes.nextVersion(), parent(id), undefined)
  }

  /** POST /v2/apps/{id}/restart. */
  restart(pathId: string, force: boolean): CommitResult {
    const id = canonical(pathId)
    const before = this.ctx.apps.get(id)?.def
    if (before === undefined) throw appNotFound(id)
    const version = this.writes.nextVersion()
    const after = this.writes.versioned(before as Draft, before, version, true)
    return this.commit([{ id, before, after, restart: true }], force, version, parent(id), undefined)
  }

  rollback(id: string, to: string, force: boolean, caller: Caller | undefined): CommitResult {
    const record = this.ctx.apps.get(id)
    const stored = record?.versions.get(to)
    if (record === undefined || stored === undefined) throw appNotFound(id)
    const version = this.writes.nextVersion()
    const after = this.writes.versioned(stored as Draft, record.def, version)
    return this.commit([{ id, before: record.def, after }], force, version, parent(id), caller)
  }

  commit(changes: ReadonlyArray<AppChange>, force: boolean, version: string, groupId: string, caller: Caller | undefined): CommitResult {
    const target = new Map(changes.map((c) => [c.id, c.after]))
    const lookup = (id: string) => (target.has(id) ? target.get(id) : this.ctx.apps.get(id)?.def)
    if (hasCycle(changes.map((c) => c.id), lookup)) throw notValid([{ path: "/", errors: ["Dependency graph has cyclic dependencies."] }])
    return this.writes.commit(changes, { force, version, groupId, ...(caller === undefined ? {} : { apiPost: caller }) })
  }

  /** Reads nothing but checks: merge, normalise, validate, assign service ports. */
  prepare(id: string, rawId: string, raw: JsonObject, before: AppDef | undefined, partial: boolean): Draft {
    const merged = partial && before !== undefined ? mergeOver(before, raw) : raw
    const draft = normalize(merged, id)
    const errors = appRuleErrors(rawId, merged, draft)
    errors.push(...this.groupConflicts(id))
    if (errors.length > 0) throw notValid(errors)
    return this.writes.ports.assign(draft, before)
  }

  private groupConflicts(id: string): Array<PathErrors> {
    const clash = this.writes.groups.has(id) && id !== "/" ? true : ancestors(id).some((g) => this.ctx.apps.has(g))
    return clash ? [{ path: "/id", errors: ["Groups and Applications may not have the same identifier."] }] : []
  }
}

export const readOrThrow = (shape: Parameters<typeof read>[0], body: Json): JsonObject => {
  const errors: Array<PathErrors> = []
  const value = read(shape, body, "", errors)
  if (errors.length > 0) throw invalidJson(errors)
  return value as JsonObject
}

const ignoredInUpdates = new Set(["id", "version", "versionInfo"])

/** A partial update: the body's top-level fields replace the current ones (spec §1.4). */
const mergeOver = (before: AppDef, raw: JsonObject): JsonObject => {
  const out: Record<string, Json> = { ...before }
  for (const [k, v] of Object.entries(raw)) {
    if (ignoredInUpdates.has(k)) continue
    for (const s of supersededBy[k] ?? []) delete out[s]
    if (k === "container" && isObject(v) && isObject(v["docker"]) && v["docker"]["network"] !== undefined) delete out["networks"]
    out[k] = v
  }
  return out
}
