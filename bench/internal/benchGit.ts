// git for the GitOps benchmarks: a fixed identity and no system config, so commits are the same
// on every machine, and the signature a webhook sender puts on its body.
import { execFile, execFileSync } from "node:child_process"
import { createHmac } from "node:crypto"

export const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "bench",
  GIT_AUTHOR_EMAIL: "b@x",
  GIT_COMMITTER_NAME: "bench",
  GIT_COMMITTER_EMAIL: "b@x"
}

export const git = (cwd: string, args: ReadonlyArray<string>) => execFileSync("git", args, { cwd, env: gitEnv, encoding: "utf8" }).trim()

export const gitAsync = (cwd: string, args: ReadonlyArray<string>) =>
  new Promise<void>((resolve, reject) =>
    execFile("git", args, { cwd, env: gitEnv }, (error) => (error === null ? resolve() : reject(error)))
  )

/** GitHub's `X-Hub-Signature-256` value for `body`. */
export const githubSignature = (secret: string, body: Buffer) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`
