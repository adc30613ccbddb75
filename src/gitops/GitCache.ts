// The persistent cache clone of one source: a plain repository under the cache directory, named by
// source and a digest of the URL (a new URL starts a new cache). The remote is never stored in its
// config: every fetch names the URL, so a credential never lands on disk. A commit already in the
// cache is not fetched again; otherwise a shallow fetch of exactly the ref (or commit) asked for
// into a private ref. Nothing is ever checked out: every file is read from the object store by blob
// id, so a work tree would be 5,000 files written per commit for nobody (and a place for a
// symlink to point outside the repository).
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

/** The cache's own ref: it keeps the fetched commit's objects from garbage collection. */
const syncedRef = "refs/mdeploy/synced"

/** What a cache clone holds: the revision last fetched and its manifest files under `path`. */
export interface CachedTree {
  readonly revision: Revision
  readonly path: string
  readonly files: ReadonlyArray<TreeFile>
}

/**
 * Makes `dir` hold the remote's `ref` and lists its manifest files under `path`. `commit` is what
 * ls-remote said the ref points at: when `known` already is that commit nothing is fetched (a
 * poll of an unchanged remote costs no git call here). Without `commit` (a webhook said the
 * remote moved) the fetch itself resolves the ref. After the fetch, the commit's subject and the
 * file listing are read side by side: two git calls at once, both of the fetched ref.
 */
export const fetchTree = (
  dir: string,
  url: string,
  ref: GitRef | undefined,
  commit: string | undefined,
  path: string,
  known: CachedTree | undefined,
  call: GitCall
): Effect.Effect<CachedTree, GitError> =>
  Effect.gen(function*() {
    const cloned = existsSync(join(dir, ".git"))
    if (cloned && known !== undefined && commit !== undefined && known.revision.commit === commit) {
      return known.path === path ? known : { ...known, path, files: yield* manifestFiles(dir, commit, path, call) }
    }
    if (!cloned) {
      mkdirSync(dir, { recursive: true })
      yield* git("init", ["init", "-q", dir], call)
    }
    const inDir = { ...call, cwd: dir }
    const source = refName(ref) ?? commit
    if (source === undefined) return yield* new GitError({ operation: "fetch", message: "neither a ref nor a commit to fetch" })
    // The ref, not the id: servers that refuse to serve an arbitrary id still serve their refs.
    // The ref may have moved since ls-remote; what is read is what was fetched. `+`: a rewritten
    // history is fetched like any other.
    yield* git("fetch", ["fetch", "-q", "--depth", "1", "--no-tags", "--", url, `+${source}:${syncedRef}`], inDir)
    // An annotated tag's ref holds the tag object; `^{commit}` peels it to the commit it names.
    const fetched = `${syncedRef}^{commit}`
    const [info, files] = yield* Effect.all([
      git("log", ["log", "-1", "--format=%H%x00%s%x00%an <%ae>", fetched], inDir),
      manifestFiles(dir, fetched, path, call)
    ], { concurrency: 2 })
    const [full, subject, author] = info.trim().split("\u0000")
    if (full === undefined || !/^[0-9a-f]{40}$/.test(full)) {
      return yield* new GitError({ operation: "log", message: "no commit fetched" })
    }
    return { revision: { commit: full, subject: subject ?? "", author: author ?? "" }, path, files }
  })

/**
 * The manifest files of `commit` (any name git resolves to a commit) under `path`, from git's own tree listing: regular files only
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
