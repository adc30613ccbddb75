// HTTP Basic authentication as Marathon's `--http_credentials user:password` sets it up
// (spec §5): every path is protected; a missing or wrong header gets Jetty's 401 page with
// WWW-Authenticate. Marathon splits its configured "user:password" at the LAST colon (greedy
// `(.+):(.+)`) while Jetty splits the header at the first, so a password with a colon never
// works — faithfully reproduced.
import type { SimAuth } from "../SimOptions.ts"

export const isAuthorised = (auth: SimAuth, header: string | undefined): boolean => {
  if (header === undefined) return false
  const m = /^basic\s+(.+)$/i.exec(header.trim())
  if (m === null) return false
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8")
  const sent = decoded.indexOf(":")
  if (sent <= 0) return false
  const configured = `${auth.user}:${auth.password}`
  const split = configured.lastIndexOf(":")
  return decoded.slice(0, sent) === configured.slice(0, split) && decoded.slice(sent + 1) === configured.slice(split + 1)
}

export const challenge = (auth: SimAuth): Record<string, string> => ({
  "WWW-Authenticate": `basic realm="${auth.realm ?? "Mesosphere"}"`
})
