// The base URL notifications link to (design.md §13's status page): `--status-url` as given (the
// address people reach, e.g. behind a load balancer), else derived from `--http-addr` — a
// wildcard or empty host becomes this machine's hostname — else none (no links).
export const statusBaseUrl = (explicit: string | undefined, httpAddr: string | undefined, hostname: string): string | undefined => {
  if (explicit !== undefined && explicit.trim() !== "") return explicit.trim().replace(/\/+$/, "")
  if (httpAddr === undefined) return undefined
  const colon = httpAddr.lastIndexOf(":")
  if (colon < 0) return undefined
  const host = httpAddr.slice(0, colon).replace(/^\[|\]$/g, "")
  const port = httpAddr.slice(colon + 1)
  const shown = host === "" || host === "0.0.0.0" || host === "::" ? hostname : host.includes(":") ? `[${host}]` : host
  return `http://${shown}:${port}`
}
