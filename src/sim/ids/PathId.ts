// Marathon's PathId rules (spec §2.1): canonical absolute ids, segment syntax, reserved last
// segments, and the "safe" form used inside task ids. Pure functions over strings.

const label = "([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])"
/** The segment rule as Marathon prints it in its validation message. */
const segmentPatternText = "^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$"
const segmentRegex = new RegExp(`^(${label}\\.)*${label}$`)
const reservedLast = ["restart", "tasks", "versions", ".", ".."]

/** Canonical absolute form: empty segments dropped, `.` and `..` resolved against `base`. */
export const canonical = (raw: string, base = "/"): string => {
  const parts = raw.startsWith("/") ? [] : base.split("/").filter((s) => s.length > 0)
  for (const seg of raw.split("/")) {
    if (seg === "" || seg === ".") continue
    if (seg === "..") parts.pop()
    else parts.push(seg)
  }
  return "/" + parts.join("/")
}

/** The raw segments as written (before `.`/`..` resolution), used for validation messages. */
const rawSegments = (raw: string): Array<string> => raw.split("/").filter((s) => s.length > 0)

/** Validation errors for an app id, as Marathon's accord validators word them; [] when valid. */
export const idErrors = (raw: string): Array<string> => {
  const segs = rawSegments(raw)
  if (segs.length === 0) return ["Path must contain at least one path element"]
  for (const seg of segs) {
    if (seg === "." || seg === "..") continue
    if (!segmentRegex.test(seg)) return [`must fully match regular expression '${segmentPatternText}'`]
  }
  const last = segs[segs.length - 1]!
  if (reservedLast.includes(last)) {
    return [`must not end with any of the following reserved keywords: ${reservedLast.join(", ")}`]
  }
  if (canonical(raw) === "/") return ["Path must contain at least one path element"]
  return []
}

/** `/a/b` → `/a`; the root's parent is the root. */
export const parent = (id: string): string => {
  const i = id.lastIndexOf("/")
  return i <= 0 ? "/" : id.slice(0, i)
}

/** Every ancestor group of an id, nearest last, root excluded: `/a/b/c` → [`/a`, `/a/b`]. */
export const ancestors = (id: string): Array<string> => {
  const out: Array<string> = []
  let i = id.indexOf("/", 1)
  while (i > 0) {
    out.push(id.slice(0, i))
    i = id.indexOf("/", i + 1)
  }
  return out
}

/** The task-id prefix: `/prod/web` → `prod_web`. */
export const safeId = (id: string): string => id.slice(1).replaceAll("/", "_")

/** True when `id` is `group` itself or lies below it. */
export const isUnder = (id: string, group: string): boolean => group === "/" || id === group || id.startsWith(group + "/")
