// The signature of a notification (design.md §15): `X-Signature: sha256=<hex HMAC-SHA256 of the
// exact body bytes>`, the generic form the GitOps webhooks also accept, so a receiver checks it
// with a few lines in any language. Pure.
import { createHmac, timingSafeEqual } from "node:crypto"

export const signatureHeader = "x-signature"

export const signature = (secret: string, body: string): string =>
  `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`

/** What a receiver does: recompute and compare in constant time. */
export const verifySignature = (secret: string, body: string, header: string | undefined): boolean => {
  if (header === undefined) return false
  const expected = Buffer.from(signature(secret, body))
  const given = Buffer.from(header)
  return expected.length === given.length && timingSafeEqual(expected, given)
}
