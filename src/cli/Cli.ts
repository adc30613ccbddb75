// The `mdeploy` command tree (design.md §6, CONTRACT).
import { Command } from "effect/cli"
import { apply } from "./commands/Apply.ts"
import { get } from "./commands/Get.ts"
import { root } from "./Root.ts"

export const cli = root.pipe(Command.withSubcommands([apply, get]))
