// `mdeploy rollout status|restart|pause|resume|history|undo` (design.md §6, CONTRACT): kubectl's
// rollout verbs over ServiceInstance specs. Each verb lives in commands/rollout/.
import { Command } from "effect/cli"
import { withOutputs } from "../OutputFormats.ts"
import { history } from "./rollout/History.ts"
import { pause } from "./rollout/Pause.ts"
import { restart } from "./rollout/Restart.ts"
import { resume } from "./rollout/Resume.ts"
import { status } from "./rollout/Status.ts"
import { undo } from "./rollout/Undo.ts"

export const rollout = Command.make("rollout").pipe(
  Command.withDescription("Follow, restart, pause, resume, list and undo the rollouts of an instance"),
  Command.withExamples([
    { command: "mdeploy rollout status web.main", description: "Wait until web.main is rolled out" },
    { command: "mdeploy rollout restart web.main", description: "Bounce web.main with an unchanged config" },
    { command: "mdeploy rollout undo web.main", description: "Roll back to the previous revision" }
  ]),
  Command.withSubcommands([
    status.pipe(withOutputs("rollout status")),
    restart.pipe(withOutputs("rollout restart")),
    pause.pipe(withOutputs("rollout pause")),
    resume.pipe(withOutputs("rollout resume")),
    history.pipe(withOutputs("rollout history", ["yaml", "json"])),
    undo.pipe(withOutputs("rollout undo"))
  ])
)
