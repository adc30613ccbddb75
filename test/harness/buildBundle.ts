// Vitest global set-up: builds dist/ (scripts/build.ts) before any test runs, so the tests that
// start bin/mdeploy.js run the bundle users run, built from the sources under test.
import { execFileSync } from "node:child_process"
import { join } from "node:path"

export default function setup(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, "..", "..", "scripts", "build.ts")], { stdio: "inherit" })
}
