// Pure: a service's deployments.json → what one instance deploys. PaaSTA generates this file from
// git tags; two layouts exist and a file may carry both (PaaSTA then reads v2):
// * v1: `{"v1": {"<service>:paasta-<deploy group>": {docker_image, desired_state, force_bounce}}}`;
//   the git sha is only in the image tag (`…:paasta-<sha>`).
// * v2: `{"v2": {"deployments": {"<deploy group>": {docker_image, git_sha}},
//                "controls": {"<service>:<cluster>.<instance>": {desired_state, force_bounce}}}}`.
import { Option, Result, Schema, SchemaIssue } from "effect"

const Control = Schema.Struct({
  desired_state: Schema.optionalKey(Schema.Literals(["start", "stop"])),
  force_bounce: Schema.optionalKey(Schema.NullOr(Schema.String))
})

const V1Entry = Schema.Struct({
  docker_image: Schema.optionalKey(Schema.String),
  ...Control.fields
})

const V2 = Schema.Struct({
  deployments: Schema.optionalKey(Schema.Record(
    Schema.String,
    Schema.Struct({
      docker_image: Schema.String,
      git_sha: Schema.optionalKey(Schema.String)
    })
  )),
  controls: Schema.optionalKey(Schema.Record(Schema.String, Control))
})

const DeploymentsFile = Schema.Struct({
  v1: Schema.optionalKey(Schema.Record(Schema.String, V1Entry)),
  v2: Schema.optionalKey(V2)
})
export type DeploymentsFile = typeof DeploymentsFile.Type

export interface Deployment {
  /** The image as deployments.json names it, without the registry. */
  readonly dockerImage: string
  readonly gitSha: string | undefined
  readonly desiredState: "start" | "stop"
  readonly forceBounce: string | undefined
}

const decode = Schema.decodeUnknownResult(DeploymentsFile, { errors: "all" })
const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** Parses the file's text; problems as one message per issue. Extra keys are ignored, as PaaSTA does. */
export const parseDeploymentsJson = (text: string): Result.Result<DeploymentsFile, ReadonlyArray<string>> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Result.fail([`not JSON: ${error instanceof Error ? error.message : String(error)}`])
  }
  const decoded = decode(json)
  if (Result.isSuccess(decoded)) return Result.succeed(decoded.success)
  return Result.fail(
    formatter(decoded.failure.issue).issues.map((issue) => `${(issue.path ?? []).map(String).join(".")}: ${issue.message}`)
  )
}

const shaInTag = /:paasta-([0-9a-f]{4,64})$/

/** The deployment of one instance, or none when its deploy group has no image (PaaSTA skips it). */
export const deploymentFor = (
  file: DeploymentsFile,
  key: { readonly service: string; readonly cluster: string; readonly instance: string; readonly deployGroup: string }
): Option.Option<Deployment> => {
  if (file.v2 !== undefined) {
    const deployment = file.v2.deployments?.[key.deployGroup]
    if (deployment === undefined) return Option.none()
    const control = file.v2.controls?.[`${key.service}:${key.cluster}.${key.instance}`]
    return Option.some({
      dockerImage: deployment.docker_image,
      gitSha: deployment.git_sha ?? deployment.docker_image.match(shaInTag)?.[1],
      desiredState: control?.desired_state ?? "start",
      forceBounce: control?.force_bounce ?? undefined
    })
  }
  const entry = file.v1?.[`${key.service}:paasta-${key.deployGroup}`]
  if (entry?.docker_image === undefined || entry.docker_image === "") return Option.none()
  return Option.some({
    dockerImage: entry.docker_image,
    gitSha: entry.docker_image.match(shaInTag)?.[1],
    desiredState: entry.desired_state ?? "start",
    forceBounce: entry.force_bounce ?? undefined
  })
}
