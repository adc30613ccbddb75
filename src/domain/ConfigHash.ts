// The config hash of an app definition (design.md §2, CONTRACT): first 8 hex chars of a SHA-256
// digest of canonical JSON (object keys sorted, no whitespace) followed by spec.forceBounce.
// Pure (same input, same output, no I/O).
// Changing anything here changes every app id, i.e. bounces every service in every cluster.
import { canonicalJson } from "./CanonicalJson.ts"
import { nodeCrypto } from "./NodeCrypto.ts"

/** `hash8` of the app id: the first 8 lowercase hex chars of sha256(canonicalJson(value) + forceBounce). */
export const configHash = (value: unknown, forceBounce: string): string =>
  nodeCrypto().createHash("sha256").update(canonicalJson(value) + forceBounce, "utf8").digest("hex").slice(0, 8)
