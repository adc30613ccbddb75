// The root `mdeploy` command with the shared flags; subcommands read them with `yield* root`.
import { Command } from "effect/cli"
import { globalFlags } from "./GlobalFlags.ts"

export const root = Command.make("mdeploy").pipe(
  Command.withSharedFlags(globalFlags),
  Command.withDescription("Declarative deployments for Marathon: ServiceInstance specs in etcd, bounced by a controller")
)
