import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { fileURLToPath, pathToFileURL } from "node:url"

// Every module an import pulls in, as seen by Node's resolver in a fresh process.
const opentelemetryModulesLoadedBy = (file: string): Array<string> => {
  const url = pathToFileURL(fileURLToPath(new URL(`../../src/telemetry/${file}`, import.meta.url))).href
  const script = `
    import { registerHooks } from "node:module"
    const seen = new Set()
    registerHooks({ resolve(specifier, context, next) {
      const result = next(specifier, context)
      if (result.url.includes("opentelemetry")) seen.add(specifier)
      return result
    } })
    await import(${JSON.stringify(url)})
    console.log(JSON.stringify([...seen]))
  `
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })) as Array<string>
}

describe("import cost", () => {
  it.each(["ControllerMetrics.ts", "TraceLogger.ts", "SpanRecorder.ts", "LazyTelemetry.ts", "OtlpReceiver.ts"])(
    "%s loads no OpenTelemetry module",
    (file) => {
      assert.deepStrictEqual(opentelemetryModulesLoadedBy(file), [])
    }
  )

  it("Telemetry.ts does (the check above can see it)", () => {
    assert.include(opentelemetryModulesLoadedBy("Telemetry.ts"), "@opentelemetry/sdk-trace-base")
  })
})
