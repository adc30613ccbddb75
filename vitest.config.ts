import { defineConfig } from "vitest/config"

// One run for everything: pure and service tests, and the integration tests that start a real
// etcd and the Marathon emulator on loopback. Benchmarks live under bench/ and never run here.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"]
  }
})
