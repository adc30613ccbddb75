// `mdeploy import paasta --soa-dir DIR --cluster NAME [--service S...] [-o yaml|json] [--out DIR]
// [--strict]` (design.md §14): the effectful edge around paasta/ImportPaasta.ts. It reads each
// service directory's service.yaml, marathon-<cluster>.yaml, smartstack.yaml and deployments.json,
// prints the documents (stdout, or one file per instance under --out) and every report on stderr.
// With --strict a report means exit 1 and no documents, so `import --strict | apply -f -` never
// applies a half-converted tree.
import { Console, Effect, FileSystem, Option, Path } from "effect"
import { Command, Flag } from "effect/cli"
import { formatReport, importService } from "../../../paasta/ImportPaasta.ts"
import type { ImportedInstance, ImportReport, SoaService } from "../../../paasta/ImportPaasta.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"
import { marathonFieldPolicyFlag, readMarathonFieldPolicy } from "../../input/readFieldPolicy.ts"
import { toJson, toYaml } from "../../render/Documents.ts"
import { root } from "../../Root.ts"

/** The files of a service directory the importer reads; others (kubernetes-*.yaml, …) are not its business. */
const wantedFiles = (cluster: string) => ["service.yaml", `marathon-${cluster}.yaml`, "smartstack.yaml", "deployments.json"]

const readService = Effect.fnUntraced(function*(soaDir: string, service: string, cluster: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const files = new Map<string, string>()
  for (const name of wantedFiles(cluster)) {
    const file = path.join(soaDir, service, name)
    if (yield* fs.exists(file)) files.set(name, yield* fs.readFileString(file))
  }
  return { service, files } satisfies SoaService
})

const listServices = Effect.fnUntraced(function*(soaDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const names = [...yield* fs.readDirectory(soaDir)].sort()
  const services: Array<string> = []
  for (const name of names) {
    if (name.startsWith(".")) continue
    const info = yield* fs.stat(path.join(soaDir, name))
    if (info.type === "Directory") services.push(name)
  }
  return services
})

export const paasta = Command.make(
  "paasta",
  {
    soaDir: Flag.String("soa-dir").pipe(Flag.withDescription("the soa-configs tree: one directory per service")),
    cluster: Flag.String("cluster").pipe(Flag.withDescription("the PaaSTA cluster whose marathon-<cluster>.yaml is read")),
    service: Flag.String("service").pipe(Flag.withDescription("only this service; repeatable"), Flag.atLeast(0)),
    out: Flag.String("out").pipe(Flag.withDescription("write <service>.<instance>.yaml|json files here instead of stdout"), Flag.optional),
    dockerRegistry: Flag.String("docker-registry").pipe(
      Flag.withDescription("registry prefixed to deployments.json images (PaaSTA's system docker_registry)"),
      Flag.optional
    ),
    strict: Flag.Boolean("strict").pipe(
      Flag.withDescription("exit 1, printing no documents, when anything is reported"),
      Flag.withDefault(false)
    ),
    marathonFieldPolicy: marathonFieldPolicyFlag
  },
  Effect.fn("Cli.importPaasta")(function*({ soaDir, cluster, service, out, dockerRegistry, strict, marathonFieldPolicy }) {
    const { output } = yield* root
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const policy = yield* readMarathonFieldPolicy(marathonFieldPolicy)
    if (!(yield* fs.exists(soaDir))) return yield* exitWith(ExitCode.error, `error: --soa-dir ${soaDir}: no such directory`)
    const services = service.length > 0 ? [...service] : yield* listServices(soaDir)
    const documents: Array<ImportedInstance> = []
    const reports: Array<ImportReport> = []
    for (const name of services) {
      if (!(yield* fs.exists(path.join(soaDir, name)))) {
        return yield* exitWith(ExitCode.error, `error: --service ${name}: no directory ${path.join(soaDir, name)}`)
      }
      const result = importService(yield* readService(soaDir, name, cluster), {
        cluster,
        dockerRegistry: Option.getOrUndefined(dockerRegistry),
        policy
      })
      documents.push(...result.documents)
      reports.push(...result.reports)
    }
    for (const report of reports) yield* Console.error(formatReport({ ...report, file: path.join(soaDir, report.file) }))
    if (strict && reports.length > 0) {
      return yield* exitWith(ExitCode.invalid, `error: ${reports.length} problem(s) reported; nothing written (--strict)`)
    }
    const json = output === "json"
    const render = (items: ReadonlyArray<ImportedInstance>) =>
      json ? toJson(items.map(({ document }) => document), items.length === 1) : toYaml(items.map(({ document }) => document))
    if (Option.isSome(out)) {
      yield* fs.makeDirectory(out.value, { recursive: true })
      for (const item of documents) {
        const file = path.join(out.value, `${item.document.metadata.name}.${json ? "json" : "yaml"}`)
        yield* fs.writeFileString(file, render([item]))
      }
      yield* Console.error(`wrote ${documents.length} instance(s) to ${out.value}`)
    } else if (documents.length > 0) {
      yield* Console.log(render(documents).trimEnd())
    }
  }, Effect.catchTag("PlatformError", (error) => exitWith(ExitCode.error, `error: ${error.message}`)))
).pipe(
  Command.withDescription("Convert a PaaSTA soa-configs tree (marathon-<cluster>.yaml, deployments.json) to ServiceInstance documents"),
  Command.withExamples([
    {
      command: "mdeploy import paasta --soa-dir /nail/etc/services --cluster norcal-prod",
      description: "Print every instance of the cluster"
    },
    {
      command: "mdeploy import paasta --soa-dir soa --cluster norcal-prod --service web --strict | mdeploy apply -f -",
      description: "Import one service, refusing anything not carried over exactly"
    }
  ])
)
