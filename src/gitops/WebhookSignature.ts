// Pure: is a webhook delivery signed with the source's secret (design.md §12)? GitHub sends
// `X-Hub-Signature-256: sha256=<hex hmac>`, Gitea/Gogs `X-Gitea-Signature: <hex hmac>`, GitLab the
// secret itself in `X-Gitlab-Token`, and anything else may send `X-Signature: sha256=<hex hmac>`.
// Every comparison is constant-time over digests of equal length, so neither the secret nor the
// expected signature can be learnt byte by byte from response times.
import { createHmac, timingSafeEqual } from "node:crypto"

export type Headers = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

export type Verdict =
  | { readonly ok: true; readonly scheme: "github" | "gitea" | "gitlab" | "generic" }
  | { readonly ok: false; readonly reason: string }

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : (value as string | undefined)
}

/** Equal strings, compared in constant time whatever their lengths. */
const sameSecret = (given: string, expected: string): boolean => {
  const digest = (text: string) => createHmac("sha256", "mdeploy-compare").update(text).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

const hmacHex = (secret: string, body: Uint8Array): string => createHmac("sha256", secret).update(body).digest("hex")

export const verifySignature = (headers: Headers, body: Uint8Array, secret: string): Verdict => {
  if (secret === "") return { ok: false, reason: "the source's webhook secret is empty" }
  const expected = hmacHex(secret, body)
  const github = header(headers, "x-hub-signature-256")
  if (github !== undefined) {
    return sameSecret(github.trim().toLowerCase(), `sha256=${expected}`)
      ? { ok: true, scheme: "github" }
      : { ok: false, reason: "X-Hub-Signature-256 does not match" }
  }
  const gitea = header(headers, "x-gitea-signature") ?? header(headers, "x-gogs-signature")
  if (gitea !== undefined) {
    return sameSecret(gitea.trim().toLowerCase(), expected)
      ? { ok: true, scheme: "gitea" }
      : { ok: false, reason: "X-Gitea-Signature does not match" }
  }
  const gitlab = header(headers, "x-gitlab-token")
  if (gitlab !== undefined) {
    return sameSecret(gitlab, secret) ? { ok: true, scheme: "gitlab" } : { ok: false, reason: "X-Gitlab-Token does not match" }
  }
  const generic = header(headers, "x-signature")
  if (generic !== undefined) {
    return sameSecret(generic.trim().toLowerCase(), `sha256=${expected}`)
      ? { ok: true, scheme: "generic" }
      : { ok: false, reason: "X-Signature does not match" }
  }
  return { ok: false, reason: "no signature header (X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token or X-Signature)" }
}
