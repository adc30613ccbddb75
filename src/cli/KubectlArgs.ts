// Pure: rewrites the command line so kubectl habits reach the parser in a form it understands.
// The CLI module reads `-owide` as the clustered short flags `-o -w -i -d -e`, and knows nothing of
// resource kinds, so before parsing:
//   -oNAME                          → -o NAME          (`-o=NAME` and `-o NAME` already work)
//   get serviceinstance(s)|si NAME  → get NAME         (the kind word before names is dropped)
//   serviceinstance(s)/NAME, si/NAME → NAME
// Other kinds (`gitsource/x`) pass through untouched, for the commands that know them.

const instanceKinds = new Set(["serviceinstance", "serviceinstances", "si"])

/** Flags whose value is the next token, so that token is never read as a kind. */
const valueFlags = new Set([
  "-o",
  "--output",
  "-l",
  "--selector",
  "-f",
  "--filename",
  "--etcd",
  "--etcd-prefix",
  "--etcd-ca",
  "--etcd-cert",
  "--etcd-key",
  "--etcd-user",
  "--etcd-password",
  "--marathon",
  "--owner",
  "--context",
  "--timeout",
  "--revision",
  "--replicas",
  // The CLI module's own global flags that take a value.
  "--log-level",
  "--completions"
])

export const normalizeArgs = (argv: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  let afterDashDash = false
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!
    if (afterDashDash) {
      out.push(token)
      continue
    }
    if (token === "--") {
      afterDashDash = true
      out.push(token)
      continue
    }
    const previous = index > 0 ? argv[index - 1]! : ""
    if (valueFlags.has(previous)) {
      out.push(token)
      continue
    }
    const shortOutput = /^-o([^=].*)$/.exec(token)
    if (shortOutput !== null) {
      out.push("-o", shortOutput[1]!)
      continue
    }
    if (instanceKinds.has(token)) continue
    const slash = token.indexOf("/")
    if (slash > 0 && !token.startsWith("-") && instanceKinds.has(token.slice(0, slash))) {
      out.push(token.slice(slash + 1))
      continue
    }
    out.push(token)
  }
  return out
}

/** The subcommand a (normalized) command line names: its first word that is neither a flag nor a flag's value. */
export const commandName = (argv: ReadonlyArray<string>): string | undefined => {
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!
    if (token === "--") return argv[index + 1]
    if (token.startsWith("-")) {
      if (valueFlags.has(token)) index++
      continue
    }
    return token
  }
  return undefined
}
