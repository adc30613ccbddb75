// `mdeploy cleanup approve` (design.md §11): the operator's side of the deletion budget.
import { Command } from "effect/cli"
import { approve } from "./cleanup/Approve.ts"

export const cleanup = Command.make("cleanup").pipe(
  Command.withDescription("Approve tear-downs that the deletion budget refused"),
  Command.withSubcommands([approve])
)
