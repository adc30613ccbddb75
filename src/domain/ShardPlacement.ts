// Which Marathon shard an instance lives on (PaaSTA's marathon_servers, paasta-behaviour.md §2.6):
// `spec.marathonShard` when set, which must name a current shard; otherwise rendezvous
// (highest-random-weight) hashing of `service.instance` over the current shards. Rendezvous
// hashing scores every (shard, instance) pair on its own, so removing one of N shards moves only
// the instances that lived on it, and adding one moves about 1/(N+1) of them, all to the new one.
// Scores use the shard's name, not its position: listing the shards in another order moves nothing.
// Pure: no I/O, no clock, no randomness.

/** The shard `--marathon URL` alone stands for: every installation without shards lives on it. */
export const defaultShard = "default"

/** Shard names: short, printable in status and flags; `=`, `,` and `;` separate flag values. */
export const shardNamePattern = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/

export type Placement =
  | { readonly _tag: "Placed"; readonly shard: string; readonly pinned: boolean }
  | { readonly _tag: "Invalid"; readonly message: string }

/**
 * cyrb53: a 53-bit string hash with good avalanche, enough to spread instances evenly. Kept here,
 * not node:crypto (ConfigHash.ts is the one place that imports it), and never persisted: only
 * comparisons between scores of one instance matter.
 */
const score = (text: string): number => {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

/** The rendezvous winner among `shards` for `name`; ties (never seen in practice) go to the smaller name. */
export const rendezvousShard = (name: string, shards: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined
  let bestScore = -1
  for (const shard of shards) {
    const s = score(`${shard}.${name}`)
    if (s > bestScore || (s === bestScore && best !== undefined && shard < best)) {
      best = shard
      bestScore = s
    }
  }
  return best
}

/** Where `name` lives: its pin when that is a current shard, else the rendezvous winner. */
export const placeInstance = (
  name: string,
  current: ReadonlyArray<string>,
  pinned: string | undefined
): Placement => {
  if (pinned !== undefined) {
    if (current.includes(pinned)) return { _tag: "Placed", shard: pinned, pinned: true }
    return {
      _tag: "Invalid",
      message: `spec.marathonShard ${JSON.stringify(pinned)} is not a current Marathon shard (current: ${current.join(", ")})`
    }
  }
  const shard = rendezvousShard(name, current)
  if (shard === undefined) return { _tag: "Invalid", message: "no current Marathon shard is configured" }
  return { _tag: "Placed", shard, pinned: false }
}
