import { tmpdir } from "node:os"
import { join } from "node:path"
import { defineConfig } from "vitest/config"

// Two projects in one run: `unit` (pure and service tests, in-memory layers) and `integration`
// (a real etcd, the Marathon emulator over loopback, real controller and CLI processes).
// `npm run test:unit` and `npm run test:integration` run one each; `make test` runs both.
// Benchmarks live under bench/ and never run here.
const integration = ["test/**/*.integration.test.ts", "test/integration/**/*.test.ts"]

export default defineConfig({
  test: {
    testTimeout: 60_000,
    // The CLI under test never reads the developer's config file or context (after `make demo`
    // that would point unset values at the demo); tests that want a config file set their own.
    env: { MDEPLOY_CONFIG: join(tmpdir(), "mdeploy-tests-have-no-config", "config.yaml"), MDEPLOY_CONTEXT: "" },
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: integration } },
      // These run bin/mdeploy.js, which runs dist/ when it is fresh: built first, from these sources.
      { extends: true, test: { name: "integration", include: integration, globalSetup: ["test/harness/buildBundle.ts"] } }
    ]
  }
})
