// A git repository made on the spot from a few files (for `mdeploy up`): a temp directory, one
// commit, removed when the scope closes. Its file:// URL is what a local GitSource follows, so a
// demo shows the whole path from a commit to a rollout.
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { git } from "./Git.ts"

const call = {
  timeoutMs: 30_000,
  env: {
    GIT_AUTHOR_NAME: "mdeploy up",
    GIT_AUTHOR_EMAIL: "up@mdeploy.local",
    GIT_COMMITTER_NAME: "mdeploy up",
    GIT_COMMITTER_EMAIL: "up@mdeploy.local"
  }
}

/** Creates the repository with `files` (relative path → content) committed on branch main. */
export const makeLocalRepo = (files: ReadonlyArray<{ readonly path: string; readonly content: string }>, message: string) =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "mdeploy-up-repo-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    yield* git("init", ["init", "-q", "-b", "main", dir], call)
    for (const file of files) {
      const target = join(dir, file.path)
      mkdirSync(dirname(target), { recursive: true })
      writeFileSync(target, file.content)
    }
    yield* git("add", ["add", "-A"], { ...call, cwd: dir })
    yield* git("commit", ["commit", "-q", "-m", message], { ...call, cwd: dir })
    return { dir, url: `file://${dir}` }
  })
