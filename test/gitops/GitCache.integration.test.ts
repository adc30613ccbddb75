// The cache clone over a real repository: each kind of ref resolves to the commit it names, a
// rewritten history is fetched like any other, and nothing is ever written to a work tree.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fetchTree, readBlobs } from "../../src/gitops/GitCache.ts"
import type { CachedTree } from "../../src/gitops/GitCache.ts"

const call = { timeoutMs: 20_000 }
const run = (cwd: string, args: ReadonlyArray<string>) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd, encoding: "utf8" }).trim()

const makeRemote = () => {
  const root = mkdtempSync(join(tmpdir(), "mdeploy-gitcache-"))
  const bare = join(root, "remote.git")
  const work = join(root, "work")
  run(root, ["init", "-q", "--bare", bare])
  run(root, ["init", "-q", "-b", "main", work])
  const commit = (file: string, text: string, subject: string) => {
    writeFileSync(join(work, file), text)
    run(work, ["add", "-A"])
    run(work, ["commit", "-q", "-m", subject])
    run(work, ["push", "-q", "--force", bare, "HEAD:refs/heads/main"])
    return run(work, ["rev-parse", "HEAD"])
  }
  return { root, bare, work, url: `file://${bare}`, commit, cache: join(root, "cache") }
}

const fetchAt = (
  remote: ReturnType<typeof makeRemote>,
  ref: Parameters<typeof fetchTree>[2],
  commit: string | undefined,
  known?: CachedTree
) => Effect.runPromise(fetchTree(remote.cache, remote.url, ref, commit, "", known, call))

describe("the cache clone", () => {
  it("fetches a branch, an annotated tag and a commit id, each to the commit it names, with no work tree", async () => {
    const remote = makeRemote()
    try {
      const first = remote.commit("a.yaml", "a: 1\n", "first")
      run(remote.work, ["tag", "-a", "v1", "-m", "release one"])
      run(remote.work, ["push", "-q", remote.bare, "refs/tags/v1"])
      const second = remote.commit("b.yaml", "b: 2\n", "second")

      // No commit from ls-remote (a webhook's sync): the fetch resolves the branch itself.
      const onBranch = await fetchAt(remote, undefined, undefined)
      assert.deepStrictEqual(onBranch.revision, { commit: second, subject: "second", author: "t <t@example.com>" })
      const onTag = await fetchAt(remote, { tag: "v1" }, first, onBranch)
      assert.strictEqual(onTag.revision.commit, first, "an annotated tag resolves to its commit, not the tag object")
      assert.strictEqual(onTag.revision.subject, "first")
      assert.deepStrictEqual(onTag.files.map((file) => file.path), ["a.yaml"], "the files are the tag's, not the branch's")
      const byId = await fetchAt(remote, { commit: second }, second, onTag)
      assert.strictEqual(byId.revision.commit, second)

      const files = byId.files
      assert.deepStrictEqual(files.map((file) => file.path), ["a.yaml", "b.yaml"])
      const blobs = await Effect.runPromise(readBlobs(remote.cache, files.map((file) => file.blob), call))
      assert.deepStrictEqual([...blobs.values()].sort(), ["a: 1\n", "b: 2\n"])
      assert.deepStrictEqual(readdirSync(remote.cache), [".git"], "files are read from the object store, never checked out")
    } finally {
      rmSync(remote.root, { recursive: true, force: true })
    }
  })

  it("fetches a rewritten history, and fetches nothing for the commit it already holds", async () => {
    const remote = makeRemote()
    try {
      const first = remote.commit("a.yaml", "a: 1\n", "first")
      const fetched = await fetchAt(remote, undefined, first)
      run(remote.work, ["commit", "-q", "--amend", "-m", "rewritten"])
      run(remote.work, ["push", "-q", "--force", remote.bare, "HEAD:refs/heads/main"])
      const rewritten = run(remote.work, ["rev-parse", "HEAD"])
      assert.notStrictEqual(rewritten, first)
      const after = await fetchAt(remote, undefined, rewritten, fetched)
      assert.strictEqual(after.revision.commit, rewritten)
      assert.strictEqual(after.revision.subject, "rewritten")

      // Same commit again: the remote is not even asked (it is gone, and the answer still comes).
      rmSync(remote.bare, { recursive: true, force: true })
      assert.strictEqual(await fetchAt(remote, undefined, rewritten, after), after)
    } finally {
      rmSync(remote.root, { recursive: true, force: true })
    }
  })
})
