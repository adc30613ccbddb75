// Task and instance ids in Marathon's formats (spec §3.1): the current
// `<safeId>.instance-<uuid>._app.<incarnation>`, plus the older forms a client may still send.
// Parsing mirrors Marathon's failure modes: unparseable ids, and ids whose tail is not a UUID.

// join() keeps ids flat strings (no rope nodes), which matters for 30,000 tasks.
export const instanceIdOf = (safeId: string, uuid: string): string => [safeId, ".instance-", uuid].join("")

export const taskIdOf = (instanceId: string, incarnation: number): string => [instanceId, "._app.", incarnation].join("")

export type ParsedTaskId =
  | { readonly _tag: "Parsed"; readonly instanceId: string; readonly incarnation: number | undefined }
  | { readonly _tag: "Invalid" }
  | { readonly _tag: "BadUuid"; readonly tail: string }

// java.util.UUID.fromString accepts five dash-separated hex groups of loose width.
const uuidRegex = /^[0-9a-fA-F]{1,8}-[0-9a-fA-F]{1,4}-[0-9a-fA-F]{1,4}-[0-9a-fA-F]{1,4}-[0-9a-fA-F]{1,12}$/
const withIncarnation = /^(.+)\.(instance-|marathon-)([^.]+)\.([^.]+)\.(\d+)$/
const withContainer = /^(.+)\.(instance-|marathon-)([^.]+)\.([^.]+)$/
const instanceOnly = /^(.+)\.(instance-|marathon-)([^.]+)$/
const legacy = /^(.+)[._]([^._]+)$/

export const parseTaskId = (id: string): ParsedTaskId => {
  const m = withIncarnation.exec(id) ?? withContainer.exec(id) ?? instanceOnly.exec(id)
  if (m !== null) {
    const uuid = m[3]!
    if (!uuidRegex.test(uuid)) return { _tag: "BadUuid", tail: uuid }
    const incarnation = m[5] === undefined ? undefined : Number(m[5])
    return { _tag: "Parsed", instanceId: `${m[1]}.${m[2]}${uuid}`, incarnation }
  }
  const l = legacy.exec(id)
  if (l !== null) {
    if (!uuidRegex.test(l[2]!)) return { _tag: "BadUuid", tail: l[2]! }
    // A legacy id names the instance by its UUID alone; the emulator maps it onto the
    // instance id it would have had in the current format.
    return { _tag: "Parsed", instanceId: `${l[1]}.instance-${l[2]}`, incarnation: undefined }
  }
  return { _tag: "Invalid" }
}
