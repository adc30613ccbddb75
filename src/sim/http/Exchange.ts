// One HTTP request and its answer: the parsed path and query, the body text, and writers that
// add the headers every Marathon answer carries (spec §0). Route modules see only this.
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Json } from "../apps/Shape.ts"
import { ApiError } from "../state/ApiError.ts"

export class Exchange {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly body: string
  /** Headers added to every answer (leader, cache-busting, framing). */
  readonly baseHeaders: Record<string, string>
  /** Set once an answer was written. */
  answered = false
  /** F3 commit-then-fail: the route's answer is replaced by this. */
  onAnswer: ((status: number) => boolean) | undefined = undefined
  /** A doctored-answer fault: rewrites the body of a successful JSON answer. */
  rewrite: ((body: string) => string) | undefined = undefined

  constructor(req: IncomingMessage, res: ServerResponse, body: string, baseHeaders: Record<string, string>) {
    this.req = req
    this.res = res
    this.method = req.method ?? "GET"
    const url = new URL(req.url ?? "/", "http://sim.invalid")
    this.path = url.pathname
    this.query = url.searchParams
    this.body = body
    this.baseHeaders = baseHeaders
  }

  get clientIp(): string {
    return this.req.socket.remoteAddress ?? ""
  }

  /** A boolean query parameter (Jersey: "true" in any case is true). */
  flag(name: string, fallback: boolean): boolean {
    const v = this.query.get(name)
    return v === null ? fallback : v.toLowerCase() === "true"
  }

  /** The request body as JSON, or the 400 Marathon answers for a missing or broken body. */
  json(): Json {
    if (this.body.trim() === "") {
      throw new ApiError(400, {
        message: "Please specify data in JSON format",
        details: "No content to map due to end-of-input\n at [Source: (org.eclipse.jetty.server.HttpInputOverHTTP); line: 1, column: 0]"
      })
    }
    try {
      return JSON.parse(this.body) as Json
    } catch (e) {
      throw new ApiError(400, { message: "Invalid JSON", details: (e as Error).message })
    }
  }

  send(status: number, body: string, contentType: string | undefined, headers: Record<string, string> = {}): void {
    if (this.answered) return
    if (this.onAnswer !== undefined && this.onAnswer(status)) return
    this.answered = true
    if (this.rewrite !== undefined && status < 300 && contentType === "application/json") body = this.rewrite(body)
    const all: Record<string, string | number> = { ...this.baseHeaders, ...headers }
    if (contentType !== undefined) all["Content-Type"] = contentType
    all["Content-Length"] = Buffer.byteLength(body)
    this.res.writeHead(status, all)
    this.res.end(body)
  }

  /**
   * A large JSON answer (the 10,000-app list) given as fragments, taken synchronously (a
   * consistent snapshot). The fragments are ropes over cached JSON, so holding them is cheap;
   * they are flattened ~64 KB at a time into buffers and written as the socket drains (chunked
   * encoding). No multi-megabyte string or buffer is ever built.
   */
  stream(status: number, produce: (write: (fragment: string) => void) => void): void {
    if (this.answered) return
    // Produce first: a failure (a bad label selector, say) still gets its error answer.
    const fragments: Array<string> = []
    produce((fragment) => void fragments.push(fragment))
    // Jetty commits an answer whose whole body fits its output buffer (32 KiB) in one write, with
    // a Content-Length; only a larger one goes out chunked. Counted in string length, which is
    // the byte length for the ASCII that app JSON nearly always is; this only chooses the framing.
    let length = 0
    for (let k = 0; k < fragments.length && length <= jettyOutputBuffer; k++) length += fragments[k]!.length
    if (length <= jettyOutputBuffer) return this.send(status, fragments.join(""), "application/json")
    if (this.onAnswer !== undefined && this.onAnswer(status)) return
    // Doctored answers are for small test lists: the whole body is built once here.
    if (this.rewrite !== undefined && status < 300) fragments.splice(0, fragments.length, this.rewrite(fragments.join("")))
    this.answered = true
    const res = this.res
    res.writeHead(status, { ...this.baseHeaders, "Content-Type": "application/json" })
    let i = 0
    const pump = (): void => {
      while (i < fragments.length) {
        let chunk = ""
        while (i < fragments.length && chunk.length < 65536) chunk += fragments[i++]
        if (!res.write(Buffer.from(chunk))) {
          res.once("drain", pump)
          return
        }
      }
      res.end()
    }
    res.once("close", () => {
      i = fragments.length
    })
    pump()
  }

  /** JSON answer; `body` may be pre-serialised text. */
  ok(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.send(status, typeof body === "string" ? body : JSON.stringify(body), "application/json", headers)
  }

  error(e: ApiError): void {
    this.ok(e.status, e.body)
  }

  /** An error page in Jetty's HTML format (used where Marathon's answer is not JSON). */
  page(status: number, reason: string, headers: Record<string, string> = {}): void {
    this.send(status, jettyPage(status, reason, this.path), "text/html;charset=iso-8859-1", headers)
  }
}

/** Jetty's default output buffer (bytes): an answer that fits is sent whole, with its length. */
const jettyOutputBuffer = 32_768

const jettyPage = (status: number, reason: string, path: string): string =>
  `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n<title>Error ${status} ${reason}</title>\n</head>\n<body><h2>HTTP ERROR ${status}</h2>\n<p>Problem accessing ${path}. Reason:\n<pre>    ${reason}</pre></p>\n</body>\n</html>\n`

export const methodNotAllowed = (x: Exchange): void => x.ok(405, { message: "Method Not Allowed" })
