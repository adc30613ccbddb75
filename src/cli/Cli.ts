// The `mdeploy` command tree (design.md §6, CONTRACT).
import { Command } from "effect/cli"
import { apply } from "./commands/Apply.ts"
import { cleanup } from "./commands/Cleanup.ts"
import { controllerCommand } from "./commands/ControllerCommand.ts"
import { deleteCommand } from "./commands/Delete.ts"
import { describe } from "./commands/Describe.ts"
import { diff } from "./commands/Diff.ts"
import { get } from "./commands/Get.ts"
import { marathonSimCommand } from "./commands/MarathonSimCommand.ts"
import { reconcile } from "./commands/Reconcile.ts"
import { rollout } from "./commands/Rollout.ts"
import { root } from "./Root.ts"
import { up } from "./commands/Up.ts"

export const cli = root.pipe(Command.withSubcommands([
  apply,
  get,
  describe,
  diff,
  deleteCommand,
  reconcile,
  rollout,
  cleanup,
  controllerCommand,
  marathonSimCommand,
  up
]))
