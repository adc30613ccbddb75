// Group writes (groups.raml): POST creates a group with its apps, PUT updates it (apps and
// subgroups listed replace those present; `scaleBy` scales every app below), DELETE removes
// everything below. Each is one deployment, through the same write path as app changes.
import type { AppDef } from "../apps/AppDef.ts"
import { appCreateShape } from "../apps/AppFields.ts"
import { isObject, type Json, type JsonObject, type PathErrors } from "../apps/Shape.ts"
import type { AppChange } from "../deploy/Plan.ts"
import { canonical, isUnder } from "../ids/PathId.ts"
import type { Draft } from "../apps/AppNormalizer.ts"
import { ApiError, invalidJson, notValid } from "./ApiError.ts"
import { readOrThrow, type AppCommands } from "./AppCommands.ts"
import type { SimContext } from "./SimContext.ts"
import type { CommitResult, Writes } from "./Writes.ts"

interface FlatApp {
  readonly id: string
  readonly raw: JsonObject
  readonly path: string
}

/** Re-roots error paths under the app's place in the group body (`/apps(0)/id`). */
const under = (prefix: string, e: unknown): unknown => {
  if (!(e instanceof ApiError) || !Array.isArray(e.body["details"])) return e
  const details = (e.body["details"] as ReadonlyArray<PathErrors>).map((d) => ({ ...d, path: prefix + (d.path === "/" ? "" : d.path) }))
  return new ApiError(e.status, { ...e.body, details })
}

export class GroupCommands {
  private readonly ctx: SimContext
  private readonly writes: Writes
  private readonly apps: AppCommands

  constructor(ctx: SimContext, writes: Writes, apps: AppCommands) {
    this.ctx = ctx
    this.writes = writes
    this.apps = apps
  }

  /** POST /v2/groups[/{id}]: the path names the group when the body does not. */
  create(body: Json, pathId: string, force: boolean): CommitResult {
    const group = this.readGroup(isObject(body) && body["id"] === undefined ? { ...body, id: pathId } : body, "/")
    if (group.id !== "/" && this.writes.groups.has(group.id)) {
      throw new ApiError(409, { message: `Group ${group.id} is already created. Use PUT to change this group.` })
    }
    for (const a of group.apps) {
      if (this.ctx.apps.has(a.id)) throw new ApiError(409, { message: `An app with id [${a.id}] already exists.` })
    }
    return this.apply(group, force, false)
  }

  update(pathId: string, body: Json, force: boolean): CommitResult {
    const id = canonical(pathId)
    const raw = isObject(body) ? body : {}
    if (typeof raw["scaleBy"] === "number") return this.scale(id, raw["scaleBy"], force)
    if (raw["version"] !== undefined && Object.keys(raw).every((k) => k === "id" || k === "version")) {
      throw new ApiError(404, { message: `Group '${id}' does not exist in version ${String(raw["version"])}` })
    }
    return this.apply(this.readGroup({ ...raw, id }, "/"), force, true)
  }

  remove(pathId: string, force: boolean): CommitResult {
    const id = canonical(pathId)
    if (!this.writes.groups.has(id)) throw new ApiError(404, { message: `Group '${id}' does not exist` })
    const changes: Array<AppChange> = [...this.ctx.apps.values()].filter((r) => isUnder(r.id, id)).map((r) => ({
      id: r.id,
      before: r.def,
      after: undefined
    }))
    for (const g of [...this.writes.groups.explicit]) if (isUnder(g, id)) this.writes.groups.explicit.delete(g)
    return this.apps.commit(changes, force, this.writes.nextVersion(), id, undefined)
  }

  private scale(id: string, factor: number, force: boolean): CommitResult {
    if (!this.writes.groups.has(id)) throw new ApiError(404, { message: `Group '${id}' does not exist` })
    const version = this.writes.nextVersion()
    const changes = [...this.ctx.apps.values()].filter((r) => isUnder(r.id, id)).map((r) => {
      const draft = { ...r.def, instances: Math.ceil(r.def.instances * factor) } as Draft
      return { id: r.id, before: r.def, after: this.writes.versioned(draft, r.def, version) as AppDef | undefined }
    })
    return this.apps.commit(changes, force, version, id, undefined)
  }

  private apply(
    group: { id: string; apps: ReadonlyArray<FlatApp>; groups: ReadonlyArray<string>; replace: ReadonlyArray<string> },
    force: boolean,
    replace: boolean
  ): CommitResult {
    const version = this.writes.nextVersion()
    const changes: Array<AppChange> = []
    const listed = new Set(group.apps.map((a) => a.id))
    for (const a of group.apps) {
      const before = this.ctx.apps.get(a.id)?.def
      let draft: Draft
      try {
        draft = this.apps.prepare(a.id, a.id, a.raw, before, false)
      } catch (e) {
        throw under(a.path, e)
      }
      changes.push({ id: a.id, before, after: this.writes.versioned(draft, before, version) })
    }
    if (replace) {
      for (const scope of group.replace) {
        for (const r of this.ctx.apps.values()) {
          if (isUnder(r.id, scope) && r.id !== scope && !listed.has(r.id)) changes.push({ id: r.id, before: r.def, after: undefined })
        }
      }
    }
    const result = this.apps.commit(changes, force, version, group.id, undefined)
    for (const g of group.groups) if (g !== "/") this.writes.groups.explicit.add(g)
    return result
  }

  /** Flattens a GroupUpdate body: apps with ids resolved against their group. */
  private readGroup(body: Json, base: string) {
    if (!isObject(body)) throw invalidJson([{ path: "/", errors: ["error.expected.jsobject"] }])
    const apps: Array<FlatApp> = []
    const groups: Array<string> = []
    const replace: Array<string> = []
    const visit = (g: JsonObject, parentId: string, path: string) => {
      if (typeof g["id"] !== "string") throw invalidJson([{ path: `${path}/id`, errors: ["error.path.missing"] }])
      const id = canonical(g["id"], parentId)
      groups.push(id)
      if (Array.isArray(g["apps"])) {
        replace.push(id)
        g["apps"].forEach((a, i) => {
          const at = `${path}/apps(${i})`
          let raw: JsonObject
          try {
            raw = readOrThrow(appCreateShape, a)
          } catch (e) {
            throw under(at, e)
          }
          const appId = canonical(String(raw["id"]), id)
          if (!isUnder(appId, id) || appId === id) {
            throw notValid([{ path: `${at}/id`, errors: [`identifier ${appId} is not child of ${id}. Hint: use relative paths.`] }])
          }
          apps.push({ id: appId, raw, path: at })
        })
      }
      if (Array.isArray(g["groups"])) g["groups"].forEach((sub, i) => visit(isObject(sub) ? sub : {}, id, `${path}/groups(${i})`))
    }
    visit(body, base, "")
    return { id: groups[0]!, apps, groups, replace }
  }
}
