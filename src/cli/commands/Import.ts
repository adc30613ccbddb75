// `mdeploy import <format>`: converts another system's deployment configuration into
// ServiceInstance documents. Only PaaSTA's soa-configs so far (commands/import/Paasta.ts).
import { Command } from "effect/cli"
import { withOutputs } from "../OutputFormats.ts"
import { paasta } from "./import/Paasta.ts"

export const importCommand = Command.make("import").pipe(
  Command.withDescription("Convert other deployment configurations to ServiceInstance documents"),
  Command.withSubcommands([paasta.pipe(withOutputs("import paasta", ["yaml", "json"]))])
)
