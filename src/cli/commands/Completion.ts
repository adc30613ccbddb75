// `mdeploy completion bash|zsh`: a completion script that completes command words and, after
// get/describe/delete/scale/reconcile/diff and the rollout verbs, the names of the instances
// stored now (it runs `mdeploy get -o name`, so it follows the current context). The CLI module's
// own `--completions` script knows the flags but cannot know instance names.
import { Console, Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { commandNames } from "../Cli.ts"

const rolloutVerbs = "status restart pause resume history undo"

/** Pure: the bash script; zsh runs it through bashcompinit. */
export const bashCompletion = (commands: ReadonlyArray<string>): string =>
  `# mdeploy completion (bash): source <(mdeploy completion bash)
_mdeploy_names() {
  mdeploy get -o name 2>/dev/null | sed 's|^serviceinstance/||'
}
_mdeploy() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  COMPREPLY=()
  if [[ "$cur" == -* ]]; then return 0; fi
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${commands.join(" ")}" -- "$cur"))
    return 0
  fi
  case "\${COMP_WORDS[1]}" in
    get|describe|delete|scale|reconcile)
      COMPREPLY=($(compgen -W "$(_mdeploy_names)" -- "$cur")) ;;
    rollout)
      if [[ $COMP_CWORD -eq 2 ]]; then
        COMPREPLY=($(compgen -W "${rolloutVerbs}" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "$(_mdeploy_names)" -- "$cur"))
      fi ;;
    config)
      if [[ $COMP_CWORD -eq 2 ]]; then
        COMPREPLY=($(compgen -W "get-contexts current-context use-context set-context" -- "$cur"))
      fi ;;
    completion)
      COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;
  esac
  return 0
}
complete -F _mdeploy mdeploy
`

export const completion = Command.make(
  "completion",
  { shell: Argument.Literals("shell", ["bash", "zsh"]).pipe(Argument.withDescription("bash or zsh")) },
  ({ shell }) =>
    Console.log(
      shell === "bash"
        ? bashCompletion(commandNames)
        : `# mdeploy completion (zsh): source <(mdeploy completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${
          bashCompletion(commandNames)
        }`
    ).pipe(Effect.asVoid)
).pipe(
  Command.withDescription("Print a shell completion script that also completes instance names"),
  Command.withExamples([{
    command: "source <(mdeploy completion bash)",
    description: "Enable completion in this shell (add it to ~/.bashrc)"
  }])
)
