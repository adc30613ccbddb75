// What a SIGTERM or SIGINT means for the exit code. The long-running commands (controller,
// marathon-sim, up) are meant to run until a signal, so being stopped by one is a clean stop,
// exit 0 (systemd would otherwise record every `systemctl stop` as a failure). Any other command
// stopped by a signal did not finish its job and exits 130, as a shell reports it, so a CI job
// killing `rollout status --watch` never reads as "rolled out".
import { Effect } from "effect"

let runsUntilSignal = false

/** Run first by the long-running commands' handlers. */
export const markRunsUntilSignal = Effect.sync(() => {
  runsUntilSignal = true
})

/** The exit code of a process whose main fiber was interrupted (by a signal). */
export const interruptedExitCode = (): number => (runsUntilSignal ? 0 : 130)
