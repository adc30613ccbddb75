// The real `git` CLI, one process per call, each with a deadline (killed when it passes or when the
// calling fiber is interrupted). Credentials come from the controller's environment or files and
// reach git through its environment only (GIT_CONFIG_* for an https header, GIT_SSH_COMMAND for a
// key): never on a command line, in the cache's config, in etcd, logs or status. Every message
// that leaves this module is scrubbed of anything that looks like a credential.
import { Effect, Schema } from "effect"
import { spawn } from "node:child_process"
import type { GitAuth, GitRef } from "../domain/GitSource.ts"

export class GitError extends Schema.TaggedError<GitError>()("GitError", {
  operation: Schema.String,
  message: Schema.String
}) {}

/** Output a git call may produce before it is stopped: ls-tree of a large repository fits easily. */
const maxOutputBytes = 64 * 1024 * 1024

/** Removes `user:password@` from URLs and Authorization header values from git's messages. */
export const scrub = (text: string): string => text.replace(/(\/\/)[^/@\s]*@/g, "$1***@").replace(/(authorization:\s*\w+\s+)\S+/gi, "$1***")

/** The environment of a git call for `auth`, read from this process's environment; an error names what is missing. */
export const authEnvironment = (
  auth: GitAuth | undefined,
  env: Readonly<Record<string, string | undefined>>
): Record<string, string> | string => {
  if (auth === undefined) return {}
  if ("sshKeyFile" in auth) {
    if (/['\\]/.test(auth.sshKeyFile)) return "spec.auth.sshKeyFile: quotes and backslashes are not allowed"
    return { GIT_SSH_COMMAND: `ssh -i '${auth.sshKeyFile}' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new` }
  }
  const password = env[auth.passwordEnv]
  if (password === undefined) return `spec.auth.passwordEnv: ${auth.passwordEnv} is not set in the controller's environment`
  const user = auth.usernameEnv === undefined ? "git" : env[auth.usernameEnv]
  if (user === undefined) return `spec.auth.usernameEnv: ${auth.usernameEnv} is not set in the controller's environment`
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
  }
}

export interface GitCall {
  readonly timeoutMs: number
  readonly env?: Record<string, string>
  readonly cwd?: string
}

/** Runs `git args...`; fails with GitError carrying git's (scrubbed) last words. */
export const git = (operation: string, args: ReadonlyArray<string>, call: GitCall) =>
  Effect.map(gitBytes(operation, args, call), (out) => out.toString("utf8"))

/** `git`, with `input` on its standard input and its output as bytes. */
export const gitBytes = (operation: string, args: ReadonlyArray<string>, call: GitCall, input?: string) =>
  Effect.callback<Buffer, GitError>((resume) => {
    const child = spawn("git", ["-c", "core.hooksPath=/dev/null", "-c", "advice.detachedHead=false", ...args], {
      cwd: call.cwd,
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        HOME: process.env["HOME"] ?? "/",
        LC_ALL: "C",
        GIT_TERMINAL_PROMPT: "0",
        GIT_CONFIG_NOSYSTEM: "1",
        // A source's `path` is a directory name, never a glob.
        GIT_LITERAL_PATHSPECS: "1",
        // The ssh client must never ask a question nobody can answer.
        SSH_ASKPASS: "",
        ...call.env
      },
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"]
    })
    child.stdin?.on("error", () => {})
    child.stdin?.end(input)
    const out: Array<Buffer> = []
    let outBytes = 0
    let err = ""
    let done = false
    const finish = (result: Effect.Effect<Buffer, GitError>) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(result)
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      finish(Effect.fail(new GitError({ operation, message: `timed out after ${call.timeoutMs} ms` })))
    }, call.timeoutMs)
    child.stdout?.on("data", (chunk: Buffer) => {
      outBytes += chunk.length
      if (outBytes > maxOutputBytes) {
        child.kill("SIGKILL")
        finish(Effect.fail(new GitError({ operation, message: "output over the limit" })))
      } else out.push(chunk)
    })
    child.stderr?.on("data", (chunk: Buffer) => {
      err = (err + chunk.toString("utf8")).slice(-2_000)
    })
    child.on("error", (error) => finish(Effect.fail(new GitError({ operation, message: scrub(error.message) }))))
    child.on("close", (code) => {
      if (code === 0) finish(Effect.succeed(Buffer.concat(out)))
      else {
        // git's "fatal:"/"error:" lines say what went wrong; the hints after them do not.
        const lines = err.trim().split("\n").filter((line) => line.trim() !== "")
        const fatal = lines.filter((line) => /^(fatal|error):/.test(line))
        const last = (fatal.length > 0 ? fatal : lines).slice(-2).join("; ")
        finish(Effect.fail(new GitError({ operation, message: scrub(last === "" ? `exit code ${code}` : last).slice(0, 500) })))
      }
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      child.kill("SIGKILL")
    })
  })

/** The full ref name a GitRef asks for, or undefined for a commit (fetched by its id). */
export const refName = (ref: GitRef | undefined): string | undefined =>
  ref === undefined ? "refs/heads/main" : "branch" in ref ? `refs/heads/${ref.branch}` : "tag" in ref ? `refs/tags/${ref.tag}` : undefined

/**
 * The commit the remote's ref points at now, by `git ls-remote` (no objects transferred). An
 * annotated tag resolves to its commit (the peeled `^{}` line).
 */
export const remoteCommit = (url: string, ref: GitRef | undefined, call: GitCall) =>
  Effect.gen(function*() {
    const name = refName(ref)
    if (name === undefined) return (ref as { readonly commit: string }).commit
    const listing = yield* git("ls-remote", ["ls-remote", "--", url, name, `${name}^{}`], call)
    const lines = listing.split("\n").map((line) => line.split("\t")).filter((parts) => parts.length === 2)
    const peeled = lines.find(([, ref]) => ref === `${name}^{}`)
    const direct = lines.find(([, ref]) => ref === name)
    const sha = (peeled ?? direct)?.[0]
    if (sha === undefined || !/^[0-9a-f]{40}$/.test(sha)) {
      return yield* new GitError({ operation: "ls-remote", message: `${name} not found on the remote` })
    }
    return sha
  })
