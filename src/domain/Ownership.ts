// Which apps are this installation's (design.md §11, CONTRACT). Every app mdeploy creates carries
// MDEPLOY_OWNER; a controller reads, changes, cleans up and counts only apps that carry its own
// owner id. Apps made by 0.1 (MDEPLOY_MANAGED without an owner) are somebody's, but whose cannot be
// told: they are adopted only when the operator says so (--adopt-unowned). Pure.
import type { AppDefinition } from "./AppDefinition.ts"
import { ManagedLabel } from "./AppDefinition.ts"
import { nodeCrypto } from "./NodeCrypto.ts"

export const OwnerLabel = "MDEPLOY_OWNER"

export interface Ownership {
  /** This installation's owner id, written into MDEPLOY_OWNER of every app it creates. */
  readonly owner: string
  /** Treat managed apps without MDEPLOY_OWNER (made by 0.1) as ours. */
  readonly adoptUnowned: boolean
}

/** Owner ids are label values and log fields: short, lower case, no spaces. */
export const ownerPattern = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/

/**
 * The default owner id: stable for one etcd cluster and prefix, different for two installations
 * that share a Marathon (two prefixes on one etcd, or two etcd clusters).
 */
export const defaultOwnerId = (etcdClusterId: string, prefix: string): string =>
  `mdeploy-${nodeCrypto().createHash("sha256").update(`${etcdClusterId}\u0000${prefix}`).digest("hex").slice(0, 12)}`

/** True when the app is this installation's: managed, and labelled with our owner (or adoptable). */
export const owns = (ownership: Ownership, labels: Readonly<Record<string, string>> | undefined): boolean => {
  if (labels?.[ManagedLabel] !== "true") return false
  const owner = labels[OwnerLabel]
  return owner === undefined ? ownership.adoptUnowned : owner === ownership.owner
}

/** The definition as sent to Marathon: our owner label set, whatever the definition said. */
export const withOwner = (definition: AppDefinition, owner: string): AppDefinition => {
  const labels = (definition["labels"] ?? {}) as Record<string, string>
  return { ...definition, labels: { ...labels, [OwnerLabel]: owner } }
}
