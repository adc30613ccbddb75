// The `mdeploy` command tree (design.md §6, CONTRACT). Every command is loaded on demand: a CLI pays
// its start-up on every run, and one command's dependencies (Marathon client, controller,
// emulator, YAML) should not slow down another. The tree holds only the command the command line
// names; help, `--version` and unknown commands get what they need (everything, or nothing).
import { Command } from "effect/cli"
import { withOutputs } from "./OutputFormats.ts"
import { root } from "./Root.ts"
import { markRunsUntilSignal } from "./SignalStop.ts"

// Each command's accepted -o values are listed here, in one place (OutputFormats.ts says why).
const commands = {
  apply: () => import("./commands/Apply.ts").then((m) => m.apply.pipe(withOutputs("apply", ["json", "name"]))),
  get: () => import("./commands/Get.ts").then((m) => m.get.pipe(withOutputs("get", ["wide", "yaml", "json", "name"]))),
  describe: () => import("./commands/Describe.ts").then((m) => m.describe.pipe(withOutputs("describe"))),
  diff: () => import("./commands/Diff.ts").then((m) => m.diff.pipe(withOutputs("diff"))),
  delete: () => import("./commands/Delete.ts").then((m) => m.deleteCommand.pipe(withOutputs("delete", ["name"]))),
  reconcile: () => import("./commands/Reconcile.ts").then((m) => m.reconcile.pipe(withOutputs("reconcile", ["json"]))),
  import: () => import("./commands/Import.ts").then((m) => m.importCommand),
  rollout: () => import("./commands/Rollout.ts").then((m) => m.rollout),
  cleanup: () => import("./commands/Cleanup.ts").then((m) => m.cleanup.pipe(withOutputs("cleanup"))),
  scale: () => import("./commands/Scale.ts").then((m) => m.scale.pipe(withOutputs("scale"))),
  sync: () => import("./commands/Sync.ts").then((m) => m.sync.pipe(withOutputs("sync"))),
  events: () =>
    import("./commands/Events.ts").then((m) =>
      m.events.pipe(withOutputs("events", ["json"]), (command) => Command.provideEffectDiscard(command, markRunsUntilSignal))
    ),
  controller: () =>
    import("./commands/ControllerCommand.ts").then((m) =>
      m.controllerCommand.pipe(withOutputs("controller"), (command) => Command.provideEffectDiscard(command, markRunsUntilSignal))
    ),
  "marathon-sim": () =>
    import("./commands/MarathonSimCommand.ts").then((m) =>
      m.marathonSimCommand.pipe(withOutputs("marathon-sim"), (command) => Command.provideEffectDiscard(command, markRunsUntilSignal))
    ),
  up: () =>
    import("./commands/Up.ts").then((m) =>
      m.up.pipe(withOutputs("up"), (command) => Command.provideEffectDiscard(command, markRunsUntilSignal))
    ),
  completion: () => import("./commands/Completion.ts").then((m) => m.completion.pipe(withOutputs("completion"))),
  config: () => import("./commands/ConfigCommand.ts").then((m) => m.configCommand),
  version: () => import("./commands/VersionCommand.ts").then((m) => m.versionCommand.pipe(withOutputs("version")))
}

export const commandNames: ReadonlyArray<string> = Object.keys(commands)

/**
 * The tree for one run. `name` is the first word of the command line that is not a flag
 * (KubectlArgs.commandName); `versionOnly` is a bare `mdeploy --version`.
 */
export const loadCli = async (name: string | undefined, versionOnly: boolean) => {
  const loaders = name !== undefined && Object.hasOwn(commands, name)
    ? [commands[name as keyof typeof commands]]
    : versionOnly
    ? []
    : Object.values(commands)
  const loaded = await Promise.all(loaders.map((load) => load()))
  return root.pipe(Command.withSubcommands(loaded as Array<(typeof loaded)[number]>))
}
