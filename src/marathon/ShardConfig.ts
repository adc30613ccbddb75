// Which Marathon shards a controller talks to (PaaSTA's marathon_servers and
// previous_marathon_servers): current shards take new apps; previous shards are being retired, so
// their apps are still observed and bounced away, and nothing new is placed there. Parsed from
// `--marathon-shard NAME=URL[,URL]` / `--previous-marathon-shard` (repeatable) or from
// MDEPLOY_MARATHON_SHARDS / MDEPLOY_PREVIOUS_MARATHON_SHARDS (`a=URL,URL;b=URL`: `;` between
// shards, `,` between one shard's URLs). Without current shards, `--marathon URL[,URL]` is the one
// shard named "default", so an installation without shards behaves as before. Pure.
import { defaultShard, shardNamePattern } from "../domain/ShardPlacement.ts"

export interface ShardSpec {
  readonly name: string
  /** Marathon base URLs of this shard, tried in turn (fail-over inside one Marathon cluster). */
  readonly urls: ReadonlyArray<string>
  /** A previous shard: observed and emptied, never placed on. */
  readonly retiring: boolean
}

export interface ShardInput {
  /** `--marathon` (or MDEPLOY_MARATHON_URLS): the default shard's URLs. */
  readonly marathonUrls: ReadonlyArray<string>
  /** `--marathon-shard` values; empty: MDEPLOY_MARATHON_SHARDS, if set. */
  readonly current: ReadonlyArray<string>
  readonly previous: ReadonlyArray<string>
  readonly env?: Readonly<Record<string, string | undefined>>
}

export type ShardParse =
  | { readonly _tag: "Shards"; readonly shards: ReadonlyArray<ShardSpec> }
  | { readonly _tag: "Invalid"; readonly problems: ReadonlyArray<string> }

const splitUrls = (text: string) => text.split(",").map((url) => url.trim()).filter((url) => url !== "")

/** `NAME=URL[,URL]` values from flags, or the `;`-separated list of an environment variable. */
const values = (flags: ReadonlyArray<string>, env: string | undefined) =>
  flags.length > 0 ? flags : (env ?? "").split(";").map((value) => value.trim()).filter((value) => value !== "")

export const parseShards = (input: ShardInput): ShardParse => {
  const problems: Array<string> = []
  const parse = (value: string, retiring: boolean, flag: string): ShardSpec | undefined => {
    const at = value.indexOf("=")
    const name = at < 0 ? "" : value.slice(0, at).trim()
    const urls = at < 0 ? [] : splitUrls(value.slice(at + 1))
    if (at < 0 || !shardNamePattern.test(name)) {
      problems.push(`${flag} ${JSON.stringify(value)}: expected NAME=URL[,URL] with NAME matching ${shardNamePattern.source}`)
      return undefined
    }
    if (urls.length === 0) {
      problems.push(`${flag} ${name}: no Marathon URL`)
      return undefined
    }
    const bad = urls.find((url) => !/^https?:\/\/[^/]/.test(url))
    if (bad !== undefined) {
      problems.push(`${flag} ${name}: ${JSON.stringify(bad)} is not an http(s) URL`)
      return undefined
    }
    return { name, urls, retiring }
  }
  const env = input.env ?? {}
  const current = values(input.current, env["MDEPLOY_MARATHON_SHARDS"]).map((value) => parse(value, false, "--marathon-shard"))
  const previous = values(input.previous, env["MDEPLOY_PREVIOUS_MARATHON_SHARDS"]).map((value) =>
    parse(value, true, "--previous-marathon-shard")
  )
  const shards: Array<ShardSpec> = []
  for (const shard of [...current, ...previous]) if (shard !== undefined) shards.push(shard)
  if (current.length === 0) shards.unshift({ name: defaultShard, urls: input.marathonUrls, retiring: false })
  const seen = new Set<string>()
  for (const shard of shards) {
    if (seen.has(shard.name)) problems.push(`Marathon shard ${shard.name} is given twice (a shard is either current or previous, once)`)
    seen.add(shard.name)
  }
  if (problems.length > 0) return { _tag: "Invalid", problems }
  return { _tag: "Shards", shards }
}

/** The names of the shards new apps may be placed on. */
export const currentShardNames = (shards: ReadonlyArray<ShardSpec>): ReadonlyArray<string> =>
  shards.filter((shard) => !shard.retiring).map((shard) => shard.name)
