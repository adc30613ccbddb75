// Where a drain call may go: only to the task being drained, on one of its own ports. A spec author
// controls the http drain's URL template, and the controller sends it with its own network reach,
// so a free-form URL would let one service call Marathon, another team's app or any internal host
// (a `DELETE http://marathon/v2/apps/...` "drain" once deleted an unmanaged app). The rule is checked
// twice: on the template when a spec is decoded, and on the filled-in URL right before it is sent,
// because the placeholder values come from Marathon at call time.

/** Drain calls never wait longer than this, whatever `drain.timeoutSeconds` says. */
export const maxDrainTimeoutSeconds = 60

/** HTTP methods a drain call may use: reads and idempotent-ish notifications, nothing destructive. */
export const drainHttpMethods = ["GET", "POST"] as const

/**
 * `http[s]://{host}:{port}` or `{portN}`, then nothing, a path or a query. The authority is the two
 * placeholders and nothing else, so userinfo (`{host}@evil`), suffixes (`{host}.evil.com`), literal
 * hosts and IPv6 literals are all refused; `\`, whitespace and `#` right after the port are refused
 * too because URL parsers treat them specially in the authority.
 */
const templatePattern = /^https?:\/\/\{host\}:\{port(?:0|[1-9][0-9]*)?\}(?:[/?][^\s\\]*)?$/

export const drainUrlTemplateMessage = "must point at the task's own {host}:{port}, as http[s]://{host}:{port}/path " +
  "or http[s]://{host}:{portN}/path (N = index of one of the task's ports)"

/** Undefined when the template can only address the task itself; otherwise why not. */
export const drainUrlTemplateProblem = (template: string): string | undefined =>
  templatePattern.test(template) ? undefined : drainUrlTemplateMessage

export interface DrainTarget {
  readonly host: string
  readonly ports: ReadonlyArray<number>
}

const defaultPorts: Readonly<Record<string, number>> = { "http:": 80, "https:": 443 }

const bare = (host: string): string => host.toLowerCase().replace(/^\[(.*)\]$/, "$1")

/**
 * Undefined when `url` (a template already filled in) addresses exactly `target.host` on one of
 * `target.ports`; otherwise why not. A host Marathon reports in an unusual spelling (trailing dot,
 * numeric IPv4 forms) does not match and is refused: refusing a drain only delays a bounce.
 */
export const drainUrlTargetProblem = (url: string, target: DrainTarget): string | undefined => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return `${url} is not a valid URL`
  }
  const defaultPort = defaultPorts[parsed.protocol]
  if (defaultPort === undefined) return `${url}: only http and https are allowed`
  if (parsed.username !== "" || parsed.password !== "") return `${url}: user information is not allowed`
  if (bare(parsed.hostname) !== bare(target.host)) return `${url} does not point at the task's host ${target.host}`
  const port = parsed.port === "" ? defaultPort : Number(parsed.port)
  if (!target.ports.includes(port)) return `${url} does not point at one of the task's ports (${target.ports.join(", ") || "none"})`
  return undefined
}
