// Small helpers every benchmark uses: the repository root, sleeps and deadlines, a bounded pool,
// a keep-alive HTTP call, a bounded poll, percentiles and rounding.
import { Agent, request } from "node:http"
import { join } from "node:path"

export const root = join(import.meta.dirname, "..", "..")
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
/** NaN after `ms`, for races against an event; never keeps the process alive. */
export const deadline = (ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), ms).unref())

/** Runs `task(i)` for i in [0, count) with `concurrency` in flight. */
export const pool = async (count: number, concurrency: number, task: (index: number) => Promise<unknown>) => {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++)
  }))
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 })

export const call = (url: string, method: string, body?: unknown) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body)
    const req = request(url, {
      method,
      agent,
      headers: text === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) }
    }, (res) => {
      let data = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (data += chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }))
      res.on("error", reject)
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url}: timeout`)))
    req.on("error", reject)
    req.end(text)
  })

/** Polls `check` every `everyMs` until it returns a value, or throws after `timeoutMs`. */
export const waitFor = async <A>(
  what: string,
  timeoutMs: number,
  check: () => Promise<A | undefined> | A | undefined,
  everyMs = 100
): Promise<A> => {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

export const percentile = (values: ReadonlyArray<number>, p: number) => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

/** The owner the benchmarks' controllers run as (MDEPLOY_OWNER), and that seeded apps carry. */
export const benchOwner = "bench"
