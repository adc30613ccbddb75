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
import { scale } from "./commands/Scale.ts"
import { sync } from "./commands/Sync.ts"
import { withOutputs } from "./OutputFormats.ts"
import { root } from "./Root.ts"
import { markRunsUntilSignal } from "./SignalStop.ts"
import { up } from "./commands/Up.ts"

// Each command's accepted -o values are listed here, in one place (OutputFormats.ts says why).
export const cli = root.pipe(Command.withSubcommands([
  apply.pipe(withOutputs("apply", ["json"])),
  get.pipe(withOutputs("get", ["wide", "yaml", "json"])),
  describe.pipe(withOutputs("describe")),
  diff.pipe(withOutputs("diff")),
  deleteCommand.pipe(withOutputs("delete")),
  reconcile.pipe(withOutputs("reconcile", ["json"])),
  rollout,
  cleanup.pipe(withOutputs("cleanup")),
  scale.pipe(withOutputs("scale")),
  sync.pipe(withOutputs("sync")),
  controllerCommand.pipe(withOutputs("controller"), (command) => Command.provideEffectDiscard(command, markRunsUntilSignal)),
  marathonSimCommand.pipe(withOutputs("marathon-sim"), (command) => Command.provideEffectDiscard(command, markRunsUntilSignal)),
  up.pipe(withOutputs("up"), (command) => Command.provideEffectDiscard(command, markRunsUntilSignal))
]))
