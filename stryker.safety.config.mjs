// Mutation testing of the safety rules (design.md §11): what may be deleted, which answers are
// believed, when a write may start, which apps are ours, where a drain call may go, which Marathon
// fields a spec may set. No mutant may survive here. `make mutate` runs this before
// stryker.config.mjs, whose settings (static mutants left out) it shares.
import core from "./stryker.config.mjs"

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  ...core,
  incrementalFile: "reports/mutation/safety-incremental.json",
  htmlReporter: { fileName: "reports/mutation/safety.html" },
  jsonReporter: { fileName: "reports/mutation/safety.json" },
  mutate: [
    "src/cleanup/DeletionBudget.ts",
    "src/controller/CleanupGuard.ts",
    "src/controller/Plausibility.ts",
    "src/controller/WriteGate.ts",
    "src/domain/Ownership.ts",
    "src/domain/DrainEndpoint.ts",
    "src/domain/MarathonFieldPolicy.ts"
  ],
  testFiles: [
    "test/cleanup/**/*.test.ts",
    "test/domain/**/*.test.ts",
    "test/controller/CleanupGuard.test.ts",
    "test/controller/Plausibility.test.ts",
    "test/controller/WriteGate.test.ts",
    "test/controller/ExecutorSafety.test.ts",
    "test/cli/readFieldPolicy.test.ts"
  ]
}
