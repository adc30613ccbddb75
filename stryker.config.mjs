// Mutation testing of the pure core (`make mutate`, which runs stryker.safety.config.mjs first; not
// part of `make test`). Only unit tests run: each mutant is tried against the tests that reached it
// in the dry run (perTest coverage), one at a time because the build machines have two cores for
// everything. Results land in reports/mutation/ (gitignored); the incremental file there makes a
// rerun test only the mutants whose code or covering tests changed.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "vitest",
  // The vitest config's `unit` project; `testFiles` below narrows it, and `related` would only
  // re-derive the same files from the import graph.
  vitest: { configFile: "vitest.config.ts", related: false },
  coverageAnalysis: "perTest",
  concurrency: 1,
  incremental: true,
  incrementalFile: "reports/mutation/core-incremental.json",
  reporters: ["clear-text", "html", "json", "progress"],
  htmlReporter: { fileName: "reports/mutation/core.html" },
  jsonReporter: { fileName: "reports/mutation/core.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  // Stryker rewrites the sandbox's tsconfig through the TypeScript compiler API, which TypeScript 7
  // (the native compiler) no longer has. Our tsconfig has no `extends` or `references` to rewrite,
  // so point that step at a file that does not exist and it is skipped.
  tsconfigFile: "tsconfig.stryker-none.json",
  // The safety rules (cleanup guard, deletion budget, plausibility, write gate, ownership, drain
  // endpoints, field policy) are stryker.safety.config.mjs's.
  mutate: [
    "src/bounce/**/*.ts",
    "src/plan/**/*.ts",
    "src/cleanup/**/*.ts",
    "!src/cleanup/DeletionBudget.ts",
    "src/controller/Outcome.ts",
    "src/controller/StatusUpdate.ts",
    "src/controller/PassEnd.ts",
    "src/events/PassEvents.ts",
    "src/events/InstanceEvent.ts"
  ],
  // A static mutant (one in a module-level constant) needs every test file re-imported. With
  // vitest 5 this runner does not activate them (even `leaseGate = () => undefined` "survives"), so
  // they would only be reported as false survivors after a minute each: left out. The constants of
  // the safety rules (the denial table, the URL and owner patterns) are each checked by name in
  // their unit tests instead.
  ignoreStatic: true,
  // The unit tests written for the files above; no integration test (those need etcd). The bounce
  // tests over the emulator's HTTP API, the bounce simulator and the executor's tests import the
  // planners too, but each costs seconds per mutant on a shared two-core machine: left out.
  testFiles: [
    "test/bounce/**/*.test.ts",
    "test/plan/**/*.test.ts",
    "test/cleanup/**/*.test.ts",
    "test/controller/Outcome.test.ts",
    "test/controller/StatusUpdate.test.ts",
    "test/controller/Reconciler.test.ts",
    "test/events/**/*.test.ts"
  ],
  ignorePatterns: ["/bench/results", "/reports", "/.mdeploy", "/.stryker-tmp*"],
  timeoutMS: 10_000,
  thresholds: { high: 90, low: 75, break: null }
}
