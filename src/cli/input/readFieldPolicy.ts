// The operator's Marathon field policy file, read by `mdeploy apply` and `mdeploy controller` alike
// so both refuse the same documents: YAML or JSON, `{allow: [paths], deny: [paths]}` (see
// domain/MarathonFieldPolicy.ts). No file means the built-in denials only. A file that cannot be
// read or does not decode stops the command: running with a looser policy than intended is worse
// than not running.
import { Config, Effect, FileSystem, Option, Result, Schema, SchemaIssue } from "effect"
import { Flag } from "effect/cli"
import { parseDocument } from "yaml"
import type { MarathonFieldPolicy } from "../../domain/MarathonFieldPolicy.ts"
import { defaultMarathonFieldPolicy, MarathonFieldPolicyDocument } from "../../domain/MarathonFieldPolicy.ts"
import { ExitCode, exitWith } from "../CliExit.ts"

export const marathonFieldPolicyFlag = Flag.String("marathon-field-policy").pipe(
  Flag.withFallbackConfig(Config.String("MDEPLOY_MARATHON_FIELD_POLICY")),
  Flag.withDescription(
    "YAML or JSON file {allow: [paths], deny: [paths]} of spec.marathon fields; allow lifts built-in denials " +
      "(env MDEPLOY_MARATHON_FIELD_POLICY)"
  ),
  Flag.optional
)

const decode = Schema.decodeUnknownResult(MarathonFieldPolicyDocument, { onExcessProperty: "error", errors: "all" })
const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** Pure: the text of a policy file → the policy, or one line per problem. */
export const parseMarathonFieldPolicy = (file: string, text: string): Result.Result<MarathonFieldPolicy, ReadonlyArray<string>> => {
  const document = parseDocument(text, { uniqueKeys: true })
  if (document.errors.length > 0) {
    return Result.fail(document.errors.map((error) => `${file}: ${error.message.split("\n")[0] ?? "invalid YAML"}`))
  }
  const decoded = decode(document.toJS({ maxAliasCount: 10 }) ?? {})
  if (Result.isFailure(decoded)) {
    return Result.fail(
      formatter(decoded.failure.issue).issues.map((issue) => {
        const path = (issue.path ?? []).map((segment) =>
          typeof segment === "object" && segment !== null && "key" in segment ? segment.key : segment
        ).reduce<string>(
          (text, segment) =>
            typeof segment === "number" ? `${text}[${segment}]` : text === "" ? String(segment) : `${text}.${String(segment)}`,
          ""
        )
        const message = issue.message === "Expected no excess property" ? "unknown field (allow and deny only)" : issue.message
        return `${file}: ${path === "" ? "" : `${path}: `}${message}`
      })
    )
  }
  return Result.succeed({ allow: decoded.success.allow ?? [], deny: decoded.success.deny ?? [] })
}

/** The policy named by the flag (or its variable); the built-in one when neither is set. */
export const readMarathonFieldPolicy = Effect.fn("readMarathonFieldPolicy")(function*(file: Option.Option<string>) {
  if (Option.isNone(file) || file.value === "") return defaultMarathonFieldPolicy
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs.readFileString(file.value).pipe(
    Effect.mapError((error) => exitWith(ExitCode.error, `error: --marathon-field-policy: ${error.message}`))
  )
  const parsed = parseMarathonFieldPolicy(file.value, text)
  if (Result.isFailure(parsed)) {
    return yield* exitWith(ExitCode.error, ...parsed.failure, "error: the Marathon field policy file is invalid")
  }
  return parsed.success
})
