// Runs a test scope with exactly these environment variables set among `names` (the others
// unset), restoring every one of them when the scope closes.
import { Effect } from "effect"

export const withEnv = (names: ReadonlyArray<string>, values: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]))
      for (const name of names) delete process.env[name]
      Object.assign(process.env, values)
      return saved
    }),
    (saved) =>
      Effect.sync(() => {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name]
          else process.env[name] = value
        }
      })
  )
