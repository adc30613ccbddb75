// A raw Server-Sent-Events reader for tests: keeps the exact bytes (to check Marathon's \r\n
// framing and heartbeats) and the parsed frames.
import { request, type IncomingHttpHeaders } from "node:http"
import { waitUntil } from "./SimHarness.ts"

export interface Frame {
  readonly event: string
  // Event payloads are whatever the emulator wrote; tests read fields freely.
  readonly data: any
}

export class SseReader {
  raw = ""
  frames: Array<Frame> = []
  heartbeats = 0
  status = 0
  headers: IncomingHttpHeaders = {}
  ended = false
  private buffer = ""
  private pending: { event?: string; data?: string } = {}
  private destroy: () => void = () => {}

  /** Opens `url`; resolves once the response headers arrived (or the connection ended). */
  static open(url: string, headers: Record<string, string> = { Accept: "text/event-stream" }): Promise<SseReader> {
    const reader = new SseReader()
    return new Promise((resolve, reject) => {
      const req = request(url, { headers }, (res) => {
        reader.status = res.statusCode ?? 0
        reader.headers = res.headers
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => reader.feed(chunk))
        res.on("end", () => (reader.ended = true))
        res.on("close", () => (reader.ended = true))
        res.on("error", () => (reader.ended = true))
        resolve(reader)
      })
      req.on("error", (e) => {
        reader.ended = true
        if (reader.status === 0) resolve(reader)
        else reject(e)
      })
      reader.destroy = () => req.destroy()
      req.end()
    })
  }

  private feed(chunk: string): void {
    this.raw += chunk
    this.buffer += chunk
    let i: number
    while ((i = this.buffer.indexOf("\r\n")) >= 0) {
      const line = this.buffer.slice(0, i)
      this.buffer = this.buffer.slice(i + 2)
      if (line === "") {
        if (this.pending.event !== undefined) this.frames.push({ event: this.pending.event, data: JSON.parse(this.pending.data ?? "null") })
        else this.heartbeats++
        this.pending = {}
      } else if (line.startsWith("event: ")) this.pending.event = line.slice(7)
      else if (line.startsWith("data: ")) this.pending.data = line.slice(6)
    }
  }

  of(event: string): Array<Frame> {
    return this.frames.filter((f) => f.event === event)
  }

  async waitFor(description: string, check: (r: SseReader) => boolean): Promise<void> {
    await waitUntil(description, () => check(this))
  }

  close(): void {
    this.destroy()
  }
}
