import { assert, describe, it } from "@effect/vitest"
import { createHmac } from "node:crypto"
import { verifySignature } from "../../src/gitops/WebhookSignature.ts"

const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main" }))
const secret = "s3cret"
const hmac = createHmac("sha256", secret).update(body).digest("hex")

describe("verifySignature", () => {
  it.each(
    [
      ["github", { "x-hub-signature-256": `sha256=${hmac}` }],
      ["gitea", { "x-gitea-signature": hmac }],
      ["gitea", { "x-gogs-signature": hmac }],
      ["gitlab", { "x-gitlab-token": secret }],
      ["generic", { "x-signature": `sha256=${hmac}` }]
    ] as const
  )("accepts a good %s signature", (scheme, headers) => {
    assert.deepStrictEqual(verifySignature(headers, body, secret), { ok: true, scheme })
  })

  it.each([
    { "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
    { "x-hub-signature-256": hmac },
    { "x-gitea-signature": hmac.slice(0, 10) },
    { "x-gitlab-token": "s3cre" },
    { "x-signature": `sha256=${createHmac("sha256", "other").update(body).digest("hex")}` },
    {}
  ])("refuses %j", (headers) => {
    assert.isFalse(verifySignature(headers, body, secret).ok)
  })

  it("refuses a signature of another body and an empty secret", () => {
    assert.isFalse(verifySignature({ "x-hub-signature-256": `sha256=${hmac}` }, Buffer.from("{}"), secret).ok)
    assert.isFalse(verifySignature({ "x-gitlab-token": "" }, body, "").ok)
  })
})
