// The persistent cache clone of one source: a plain repository under the cache directory, named by
// source and a digest of the URL (a new URL starts a new cache). The remote is never stored in its
// config: every fetch names the URL, so a credential never lands on disk. A commit already in the
// cache is not fetched again; otherwise a shallow fetch of exactly the ref (or commit) asked for,
// then a forced checkout of the exact commit resolved, whatever was in the work tree.
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import type { GitRef } from "../domain/GitSource.ts"
import type { GitCall } from "./Git.ts"
import { git, gitBytes, GitError, refName } from "./Git.ts"

export interface Revision {
  readonly commit: string
  readonly subject: string
  readonly author: string
}

/** A file of the revision: path in the repository, blob id and size. */
export interface TreeFile {
  readonly path: string
  /** The blob id: the same id is the same content, parsed once. */
  readonly blob: string
  readonly size: number
}

export const cacheDirOf = (root: string, name: string, url: string): string =>
  join(root, `${name}-${createHash("sha256").update(url).digest("hex").slice(0, 12)}`)

const manifestFile = /\.(ya?ml|json)$/i

/**
 * Makes `dir` hold `commit` checked out: nothing to do when `current` (what this process last
 * checked out there) is that commit; otherwise a shallow fetch, a forced checkout and the commit's
 * subject and author — three git calls.
 */
export const checkout = (dir: string, url: string, ref: GitRef | undefined, commit: string, current: Revision | undefined, call: GitCall) =>
  Effect.gen(function*() {
    if (current?.commit === commit && existsSync(join(dir, ".git"))) return current
    if (!existsSync(join(dir, ".git"))) {
      mkdirSync(dir, { recursive: true })
      yield* git("init", ["init", "-q", dir], call)
    }
    const inDir = { ...call, cwd: dir }
    // The ref, not the id: servers that refuse to serve an arbitrary id still serve their refs.
    // The ref may have moved since ls-remote; what is checked out is what was fetched.
    yield* git("fetch", ["fetch", "-q", "--depth", "1", "--no-tags", "--", url, refName(ref) ?? commit], inDir)
    yield* git("checkout", ["checkout", "-q", "--force", "--detach", "FETCH_HEAD"], inDir)
    const info = yield* git("log", ["log", "-1", "--format=%H%x00%s%x00%an <%ae>", "HEAD"], inDir)
    const [full, subject, author] = info.trim().split("\u0000")
    if (full === undefined || !/^[0-9a-f]{40}$/.test(full)) {
      return yield* new GitError({ operation: "log", message: "no commit checked out" })
    }
    return { commit: full, subject: subject ?? "", author: author ?? "" } satisfies Revision
  })

/**
 * The manifest files of `commit` under `path`, from git's own tree listing: regular files only
 * (mode 100644/100755), so a symlink in the repository can never make the controller read a file
 * outside it. A `path` that is not a directory of the revision is an empty set (git has no empty
 * directories: deleting every file of one deletes it), which the prune safety then refuses unless
 * approved.
 */
export const manifestFiles = (dir: string, commit: string, path: string, call: GitCall) =>
  Effect.gen(function*() {
    const inDir = { ...call, cwd: dir }
    const base = path.replace(/^\.?\/*/, "").replace(/\/+$/, "")
    const listing = yield* git("ls-tree", [
      "ls-tree",
      "-r",
      "-z",
      "--long",
      "--full-tree",
      commit,
      ...(base === "" ? [] : ["--", `${base}/`])
    ], inDir)
    const files: Array<TreeFile> = []
    for (const entry of listing.split("\u0000")) {
      const tab = entry.indexOf("\t")
      if (tab < 0) continue
      const [mode, type, blob, size] = entry.slice(0, tab).trim().split(/\s+/)
      const file = entry.slice(tab + 1)
      if (type !== "blob" || (mode !== "100644" && mode !== "100755") || !manifestFile.test(file)) continue
      files.push({ path: file, blob: blob ?? "", size: Number(size) })
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  })

/**
 * The contents of blobs by id, from the object store (`git cat-file --batch`), not the work tree:
 * what is read is exactly what the commit holds, whatever another process did to the work tree.
 */
export const readBlobs = (dir: string, blobs: ReadonlyArray<string>, call: GitCall) =>
  Effect.gen(function*() {
    const contents = new Map<string, string>()
    if (blobs.length === 0) return contents
    const out = yield* gitBytes("cat-file", ["cat-file", "--batch"], { ...call, cwd: dir }, `${blobs.join("\n")}\n`)
    let offset = 0
    while (offset < out.length) {
      const newline = out.indexOf(10, offset)
      if (newline < 0) break
      const [id, type, size] = out.subarray(offset, newline).toString("utf8").split(" ")
      if (type !== "blob" || id === undefined) {
        return yield* new GitError({ operation: "cat-file", message: `object ${id ?? "?"} is not a blob` })
      }
      const length = Number(size)
      contents.set(id, out.subarray(newline + 1, newline + 1 + length).toString("utf8"))
      offset = newline + 1 + length + 1
    }
    return contents
  })
