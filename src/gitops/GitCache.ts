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
import { git, refName } from "./Git.ts"

export interface Revision {
  readonly commit: string
  readonly subject: string
  readonly author: string
}

/** A file of the revision: path in the repository and where it is checked out. */
export interface TreeFile {
  readonly path: string
  /** The blob id: the same id is the same content, parsed once. */
  readonly blob: string
  readonly absolute: string
  readonly size: number
}

export const cacheDirOf = (root: string, name: string, url: string): string =>
  join(root, `${name}-${createHash("sha256").update(url).digest("hex").slice(0, 12)}`)

const manifestFile = /\.(ya?ml|json)$/i

/** Makes `dir` hold `commit` checked out, fetching it shallowly from `url` when it is not there yet. */
export const checkout = (dir: string, url: string, ref: GitRef | undefined, commit: string, call: GitCall) =>
  Effect.gen(function*() {
    if (!existsSync(join(dir, ".git"))) {
      mkdirSync(dir, { recursive: true })
      yield* git("init", ["init", "-q", dir], call)
    }
    const inDir = { ...call, cwd: dir }
    const present = yield* git("cat-file", ["cat-file", "-e", `${commit}^{commit}`], inDir).pipe(Effect.as(true), Effect.orElseSucceed(() => false))
    if (!present) {
      // The ref, not the id: servers that refuse to serve an arbitrary id still serve their refs.
      // The ref may have moved since ls-remote; the commit checked out is what was fetched.
      yield* git("fetch", ["fetch", "-q", "--depth", "1", "--no-tags", "--", url, refName(ref) ?? commit], inDir)
    }
    const target = present ? commit : (yield* git("rev-parse", ["rev-parse", "--verify", "FETCH_HEAD^{commit}"], inDir)).trim()
    yield* git("checkout", ["checkout", "-q", "--force", "--detach", target], inDir)
    const info = yield* git("log", ["log", "-1", "--format=%H%x00%s%x00%an <%ae>", target], inDir)
    const [full, subject, author] = info.trim().split("\u0000")
    return { commit: full ?? target, subject: subject ?? "", author: author ?? "" } satisfies Revision
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
    const listing = yield* git("ls-tree", ["ls-tree", "-r", "-z", "--long", "--full-tree", commit, ...(base === "" ? [] : ["--", `${base}/`])], inDir)
    const files: Array<TreeFile> = []
    for (const entry of listing.split("\u0000")) {
      const tab = entry.indexOf("\t")
      if (tab < 0) continue
      const [mode, type, blob, size] = entry.slice(0, tab).trim().split(/\s+/)
      const file = entry.slice(tab + 1)
      if (type !== "blob" || (mode !== "100644" && mode !== "100755") || !manifestFile.test(file)) continue
      files.push({ path: file, blob: blob ?? "", absolute: join(dir, file), size: Number(size) })
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  })
