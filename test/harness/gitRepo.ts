// Real git repositories for tests: a bare repository served over file:// and a work tree that
// commits and pushes to it (force-pushes too), in a temp directory removed by `close`.
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"

export interface TestRepo {
  readonly url: string
  readonly dir: string
  /** Writes (string) or deletes (null) files, commits them with `message` and pushes; returns the commit id. */
  readonly commit: (files: Record<string, string | null>, message: string, options?: { readonly author?: string }) => string
  /** Replaces the branch with a new root commit holding only `files` (a force push of rewritten history). */
  readonly rewrite: (files: Record<string, string>, message: string) => string
  readonly close: () => void
}

const run = (cwd: string, args: ReadonlyArray<string>) =>
  execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "Ada",
      GIT_AUTHOR_EMAIL: "ada@example.org",
      GIT_COMMITTER_NAME: "Ada",
      GIT_COMMITTER_EMAIL: "ada@example.org"
    }
  }).trim()

export const makeTestRepo = (branch = "main"): TestRepo => {
  const root = mkdtempSync(join(tmpdir(), "mdeploy-git-"))
  const bare = join(root, "remote.git")
  const work = join(root, "work")
  run(root, ["init", "-q", "--bare", bare])
  run(root, ["init", "-q", "-b", branch, work])
  const write = (files: Record<string, string | null>) => {
    for (const [path, content] of Object.entries(files)) {
      const file = join(work, path)
      if (content === null) rmSync(file, { force: true })
      else {
        mkdirSync(dirname(file), { recursive: true })
        writeFileSync(file, content)
      }
    }
  }
  const commit = (files: Record<string, string | null>, message: string, options: { readonly author?: string } = {}) => {
    write(files)
    run(work, ["add", "-A"])
    run(work, ["commit", "-q", "--allow-empty", "-m", message, ...(options.author === undefined ? [] : ["--author", options.author])])
    run(work, ["push", "-q", "--force", bare, `HEAD:refs/heads/${branch}`])
    return run(work, ["rev-parse", "HEAD"])
  }
  const rewrite = (files: Record<string, string>, message: string) => {
    rmSync(work, { recursive: true, force: true })
    mkdirSync(work)
    run(root, ["init", "-q", "-b", branch, work])
    return commit(files, message)
  }
  return { url: `file://${bare}`, dir: work, commit, rewrite, close: () => rmSync(root, { recursive: true, force: true }) }
}

/** A ServiceInstance manifest. */
export const instanceYaml = (name: string, image = "registry.example/web:1", extra = ""): string =>
  `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: ${name}\nspec:\n  image: ${image}\n  instances: 1\n${extra}`
