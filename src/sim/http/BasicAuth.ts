// HTTP Basic authentication as Marathon's `--http_credentials` sets it up (spec §5): every path
// is protected; a missing or wrong header gets Jetty's 401 page with WWW-Authenticate. The
// credentials split at the last colon, as Marathon's greedy `(.+):(.+)` does.
import type { SimAuth } from "../SimOptions.ts"

export const isAuthorised = (auth: SimAuth, header: string | undefined): boolean => {
  if (header === undefined) return false
  const m = /^basic\s+(.+)$/i.exec(header.trim())
  if (m === null) return false
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8")
  const colon = decoded.lastIndexOf(":")
  if (colon <= 0) return false
  return decoded.slice(0, colon) === auth.user && decoded.slice(colon + 1) === auth.password
}

export const challenge = (auth: SimAuth): Record<string, string> => ({
  "WWW-Authenticate": `basic realm="${auth.realm ?? "Mesosphere"}"`
})
