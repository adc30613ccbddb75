// Which context this run uses, as the environment variables it stands in for: `--context NAME`,
// else `$MDEPLOY_CONTEXT`, else the file's current-context. Read before the command line is parsed,
// because the flags fall back to those variables; the YAML parser is loaded only when there is a
// file, so a run without one pays nothing for contexts.
import { dirname, join } from "node:path"

// Not an import: importing node:fs evaluates every export (fs/promises, readline) on each CLI start.
const { readFileSync } = process.getBuiltinModule("node:fs")

/** Where the config file is, from the environment and the home directory. */
export const configPath = (env: Readonly<Record<string, string | undefined>>, home: string): string => {
  const explicit = env["MDEPLOY_CONFIG"]
  if (explicit !== undefined && explicit !== "") return explicit
  const xdg = env["XDG_CONFIG_HOME"]
  return join(xdg !== undefined && xdg !== "" ? xdg : join(home, ".config"), "mdeploy", "config.yaml")
}

/** The value of `--context` on the command line, if any. */
export const contextFlag = (argv: ReadonlyArray<string>): string | undefined => {
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!
    if (token === "--") return undefined
    if (token === "--context") return argv[index + 1]
    if (token.startsWith("--context=")) return token.slice("--context=".length)
  }
  return undefined
}

export interface ActiveContext {
  readonly path: string
  readonly name: string | undefined
  /** MDEPLOY_* variables the context supplies. */
  readonly env: Record<string, string>
  readonly problems: ReadonlyArray<string>
}

const readText = (path: string): string | undefined | Error => {
  try {
    return readFileSync(path, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
    return error as Error
  }
}

export const activeContext = async (
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  home: string
): Promise<ActiveContext> => {
  const path = configPath(env, home)
  const requested = contextFlag(argv) ?? (env["MDEPLOY_CONTEXT"] === "" ? undefined : env["MDEPLOY_CONTEXT"])
  const text = readText(path)
  if (text instanceof Error) return { path, name: undefined, env: {}, problems: [`${path}: cannot read the config file: ${text.message}`] }
  if (text === undefined) {
    const problems = requested === undefined
      ? []
      : [`${path}: context "${requested}" not found: there is no config file (create one with 'mdeploy config set-context')`]
    return { path, name: undefined, env: {}, problems }
  }
  const { contextEnv, parseConfig } = await import("./ConfigFile.ts")
  const { config, problems } = parseConfig(text, path)
  if (problems.length > 0) return { path, name: undefined, env: {}, problems }
  const name = requested ?? config.currentContext
  if (name === undefined) return { path, name, env: {}, problems: [] }
  const context = config.contexts.get(name)
  if (context === undefined) {
    const known = [...config.contexts.keys()].join(", ")
    return { path, name, env: {}, problems: [`${path}: context "${name}" not found (contexts: ${known === "" ? "none" : known})`] }
  }
  return { path, name, env: contextEnv(context, dirname(path)), problems: [] }
}
