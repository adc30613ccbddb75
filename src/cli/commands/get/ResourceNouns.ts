// The words after `get` that name another kind than ServiceInstance (design.md §12, §15).
export const otherKinds = {
  gitSources: new Set(["gitsources", "gitsource", "gs"]),
  notifiers: new Set(["notifiers", "notifier"])
} as const

export const namesOtherKind = (word: string | undefined): boolean =>
  word !== undefined && (otherKinds.gitSources.has(word) || otherKinds.notifiers.has(word))
