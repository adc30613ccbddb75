// Runs the real `mdeploy` binary as a child process, the way a user does, and collects its exit
// code, stdout and stderr.
import { spawn } from "node:child_process"
import { openSync } from "node:fs"
import { join } from "node:path"

export const repoRoot = join(import.meta.dirname, "..", "..")
export const binPath = join(repoRoot, "bin", "mdeploy.js")

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export const runCli = (
  args: ReadonlyArray<string>,
  options: {
    readonly env?: Record<string, string>
    readonly stdin?: string
    /** A file opened as the child's standard input instead of `stdin` (e.g. /dev/zero). */
    readonly stdinPath?: string
    readonly cwd?: string
    /** Kill the child and fail when it runs longer than this. */
    readonly timeoutMs?: number
  } = {}
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: [options.stdinPath === undefined ? "pipe" : openSync(options.stdinPath, "r"), "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`mdeploy ${args.join(" ")} still running after ${options.timeoutMs} ms; stderr: ${stderr.slice(0, 500)}`))
    }, options.timeoutMs)
    child.stdout?.on("data", (chunk) => (stdout += chunk))
    child.stderr?.on("data", (chunk) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin?.end(options.stdin ?? "")
  })

/** A long-running `mdeploy` (a --watch): its output so far, and a SIGTERM that resolves to its exit code. */
export interface RunningCli {
  readonly output: () => string
  readonly stop: () => Promise<number | null>
}

export const spawnCli = (stack: { readonly env: Record<string, string> }, args: ReadonlyArray<string>): RunningCli => {
  const child = spawn(process.execPath, [binPath, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: "1", ...stack.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout.on("data", (chunk) => (output += chunk))
  child.stderr.on("data", (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  return {
    output: () => output,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
      return exited
    }
  }
}
