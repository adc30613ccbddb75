// One POST to etcd's JSON gateway (grpc-gateway, on the client port beside gRPC: `/v3/kv/range`,
// `/v3/auth/authenticate`) over node:http or node:https, with the TLS settings and deadlines of
// EtcdOptions, and every way it can fail classified as a StoreFailure: refused connections, TLS
// handshakes, dial and call deadlines, and the gRPC status codes etcd puts in its error bodies.
// Read-only commands use it instead of etcd3: loading gRPC and protobuf.js costs more than the
// rest of their start-up.
import type { Agent as HttpAgent, IncomingMessage } from "node:http"
import { nodeCrypto } from "../domain/NodeCrypto.ts"
import type { EtcdOptions } from "./EtcdOptions.ts"
import { defaultCallTimeoutMs, defaultDialTimeoutMs } from "./EtcdOptions.ts"
import type { StoreFailure } from "./StoreError.ts"

// Not an import: importing node:fs evaluates every export (fs/promises, readline) on each CLI start.
const { readFileSync } = process.getBuiltinModule("node:fs")

// Taken as a CommonJS module when first needed, not imported: node:https loads node:tls (25 ms),
// of no use with http:// endpoints, and its ESM facade reads every export of node:http.
const https = () => process.getBuiltinModule("node:https")

/** A failed POST: the reason, and the error whose words StoreError turns into one line. */
export class GatewayFailure {
  readonly reason: StoreFailure
  readonly error: unknown
  constructor(reason: StoreFailure, error: unknown) {
    this.reason = reason
    this.error = error
  }
}

export interface GatewayEndpoint {
  /** The URL as given (http://host:port or https://host:port). */
  readonly url: string
  readonly post: (path: string, body: unknown, token: string | undefined, signal: AbortSignal) => Promise<unknown>
  readonly close: () => void
}

interface Deadlines {
  readonly dialTimeoutMs: number
  readonly callTimeoutMs: number
}

// gRPC status codes (google.golang.org/grpc/codes) that etcd's gateway reports in error bodies.
const grpcCode = {
  canceled: 1,
  invalidArgument: 3,
  deadlineExceeded: 4,
  permissionDenied: 7,
  outOfRange: 11,
  unavailable: 14,
  unauthenticated: 16
} as const

/** The reason for an error body `{ code, message }`, worded as etcd3 would classify the same answer. */
export const reasonOfAnswer = (code: number, message: string): StoreFailure => {
  if (
    code === grpcCode.unauthenticated ||
    /user name is empty|invalid auth token|authentication failed|invalid user ID or password/.test(message)
  ) {
    return "Unauthenticated"
  }
  switch (code) {
    case grpcCode.canceled:
    case grpcCode.unavailable:
      return "Unavailable"
    case grpcCode.deadlineExceeded:
      return "Timeout"
    case grpcCode.permissionDenied:
      return "PermissionDenied"
    case grpcCode.outOfRange:
      return "Compacted"
    default:
      return "Internal"
  }
}

const answerOf = (status: number, text: string): unknown => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    // Go's TLS server answers plain HTTP on its port with a 400 and this sentence.
    if (/HTTP request to an HTTPS server/.test(text)) {
      throw new GatewayFailure("Unavailable", new Error("wrong version number: Client sent an HTTP request to an HTTPS server"))
    }
    throw new GatewayFailure(
      status === 503 ? "Unavailable" : "Internal",
      new Error(`HTTP ${status}: ${text.split("\n")[0]?.slice(0, 200)}`)
    )
  }
  const error = typeof json === "object" && json !== null ? json as { code?: unknown; message?: unknown; error?: unknown } : {}
  if (status >= 200 && status < 300 && typeof error.code !== "number") return json
  const message = typeof error.message === "string" ? error.message : typeof error.error === "string" ? error.error : `HTTP ${status}`
  const code = typeof error.code === "number" ? error.code : grpcCode.invalidArgument
  throw new GatewayFailure(reasonOfAnswer(code, message), new Error(message))
}

class DialTimeout extends Error {
  override readonly name = "DialTimeout"
}
class CallTimeout extends Error {
  override readonly name = "CallTimeout"
}

/**
 * The answer of an HTTP/1.1 response read whole from a connection the server closes: status and
 * body, the body de-chunked when the server sent it in chunks (etcd's gateway does for long
 * lists). Undefined while the bytes do not yet hold a complete response.
 */
export const parsePlainResponse = (bytes: Buffer, closed: boolean): { readonly status: number; readonly body: string } | undefined => {
  const headEnd = bytes.indexOf("\r\n\r\n")
  if (headEnd < 0) return undefined
  const head = bytes.subarray(0, headEnd).toString("latin1").split("\r\n")
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? "")?.[1])
  if (!Number.isInteger(status)) return undefined
  const header = (name: string) =>
    head.slice(1).find((line) => line.slice(0, line.indexOf(":")).trim().toLowerCase() === name)?.replace(/^[^:]*:\s*/, "")
  const rest = bytes.subarray(headEnd + 4)
  if (/chunked/i.test(header("transfer-encoding") ?? "")) {
    const parts: Array<Buffer> = []
    let at = 0
    for (;;) {
      const lineEnd = rest.indexOf("\r\n", at)
      if (lineEnd < 0) return undefined
      const size = Number.parseInt(rest.subarray(at, lineEnd).toString("latin1"), 16)
      if (!Number.isFinite(size)) return undefined
      if (size === 0) return { status, body: Buffer.concat(parts).toString("utf8") }
      if (rest.length < lineEnd + 2 + size + 2) return undefined
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
      at = lineEnd + 2 + size + 2
    }
  }
  const length = header("content-length")
  // Neither length nor chunks: the body ends when the server closes the connection.
  if (length === undefined ? !closed : rest.length < Number(length)) return undefined
  return { status, body: rest.subarray(0, length === undefined ? rest.length : Number(length)).toString("utf8") }
}

/**
 * A POST to an http:// endpoint straight over a TCP connection, closed after the answer: node:http
 * costs a fresh process about 8 ms to load, a twentieth of `mdeploy get`'s start-up (bench
 * startup), for two requests. https:// endpoints go through node:https (TLS needs it anyway).
 */
const postPlain = (url: URL, deadlines: Deadlines, path: string, payload: string, token: string | undefined, signal: AbortSignal) =>
  new Promise<unknown>((resolve, reject) => {
    const socket = process.getBuiltinModule("node:net").connect({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 80)
    })
    const chunks: Array<Buffer> = []
    let settled = false
    const finish = (outcome: () => unknown) => {
      if (settled) return
      settled = true
      clearTimeout(dial)
      clearTimeout(call)
      signal.removeEventListener("abort", abort)
      socket.destroy()
      try {
        resolve(outcome())
      } catch (failure) {
        reject(failure)
      }
    }
    const fail = (failure: GatewayFailure) =>
      finish(() => {
        throw failure
      })
    const dial = setTimeout(() => fail(new GatewayFailure("Unavailable", new DialTimeout("connect timed out"))), deadlines.dialTimeoutMs)
    const call = setTimeout(() => fail(new GatewayFailure("Timeout", new CallTimeout("no answer in time"))), deadlines.callTimeoutMs)
    const abort = () => fail(new GatewayFailure("Unavailable", new Error("interrupted")))
    signal.addEventListener("abort", abort, { once: true })
    socket.once("connect", () => clearTimeout(dial))
    socket.on("error", (error) => fail(new GatewayFailure("Unavailable", error)))
    // Read once, when the server closes: it does after answering a `Connection: close` request,
    // and trying to read a whole answer at each piece of a long list would copy it over and over.
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.once("end", () => {
      const answer = parsePlainResponse(Buffer.concat(chunks), true)
      if (answer === undefined) fail(new GatewayFailure("Unavailable", new Error("connection closed before a whole answer")))
      else finish(() => answerOf(answer.status, answer.body))
    })
    const host = url.port === "" ? url.hostname : `${url.hostname}:${url.port}`
    // Written, not ended: Go's server reads a half-closed connection as a cancelled request.
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n${
        token === undefined ? "" : `Authorization: ${token}\r\n`
      }Connection: close\r\n\r\n${payload}`
    )
  })

const post = (
  url: URL,
  agent: HttpAgent | undefined,
  deadlines: Deadlines,
  path: string,
  body: unknown,
  token: string | undefined,
  signal: AbortSignal
): Promise<unknown> =>
  url.protocol === "http:" ? postPlain(url, deadlines, path, JSON.stringify(body), token, signal) : new Promise((resolve, reject) => {
    const payload = JSON.stringify(body)
    const send = https().request
    const request = send({
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path,
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(payload),
        ...(token === undefined ? {} : { authorization: token })
      }
    })
    const dial = setTimeout(() => request.destroy(new DialTimeout("connect timed out")), deadlines.dialTimeoutMs)
    const call = setTimeout(() => request.destroy(new CallTimeout("no answer in time")), deadlines.callTimeoutMs)
    const done = () => {
      clearTimeout(dial)
      clearTimeout(call)
      signal.removeEventListener("abort", abort)
    }
    const abort = () => request.destroy(new Error("interrupted"))
    signal.addEventListener("abort", abort, { once: true })
    request.once("socket", (socket) => {
      if (!socket.connecting) return clearTimeout(dial)
      socket.once(url.protocol === "https:" ? "secureConnect" : "connect", () => clearTimeout(dial))
    })
    request.once("error", (error) => {
      done()
      reject(new GatewayFailure(error instanceof CallTimeout ? "Timeout" : "Unavailable", error))
    })
    request.once("response", (response: IncomingMessage) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.once("error", (error) => {
        done()
        reject(new GatewayFailure("Unavailable", error))
      })
      response.once("end", () => {
        done()
        try {
          resolve(answerOf(response.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")))
        } catch (failure) {
          reject(failure)
        }
      })
    })
    request.end(payload)
  })

/**
 * Whether etcd's gateway will take requests with these options. etcd (3.4.10 and later) refuses, with
 * HTTP 400 "CommonName of client sending a request against gateway will be ignored", every gateway
 * request whose verified client certificate has a common name: over gRPC that name is the etcd user,
 * over the gateway it would be silently dropped. Such a client reads with etcd3 instead. A file that
 * cannot be read is left to the gateway to report, in the words of every other failure.
 */
export const gatewayServes = (options: EtcdOptions): boolean => {
  const certFile = options.tls?.certFile
  if (certFile === undefined) return true
  try {
    return !/^CN=/m.test(new (nodeCrypto().X509Certificate)(readFileSync(certFile)).subject)
  } catch {
    return true
  }
}

/**
 * One endpoint per URL, each with a keep-alive agent of its own (the token request and the reads
 * share a connection). Throws a GatewayFailure when a certificate or key file cannot be read.
 */
export const gatewayEndpoints = (options: EtcdOptions): ReadonlyArray<GatewayEndpoint> => {
  const deadlines: Deadlines = {
    dialTimeoutMs: options.dialTimeoutMs ?? defaultDialTimeoutMs,
    callTimeoutMs: options.callTimeoutMs ?? defaultCallTimeoutMs
  }
  let files: { ca?: Buffer; cert?: Buffer; key?: Buffer }
  let urls: ReadonlyArray<URL>
  try {
    const tls = options.tls ?? {}
    files = {
      ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
      ...(tls.certFile === undefined ? {} : { cert: readFileSync(tls.certFile) }),
      ...(tls.keyFile === undefined ? {} : { key: readFileSync(tls.keyFile) })
    }
    // etcd3 takes host:port as well as URLs; such an endpoint speaks TLS when TLS files are given.
    const scheme = options.tls === undefined ? "http://" : "https://"
    urls = options.endpoints.map((endpoint) => new URL(/^[a-z]+:\/\//i.test(endpoint) ? endpoint : `${scheme}${endpoint}`))
  } catch (error) {
    throw new GatewayFailure("Internal", error)
  }
  return options.endpoints.map((given, index) => {
    const url = urls[index]!
    // Without a CA file, Node's default CAs (NODE_EXTRA_CA_CERTS included), as EtcdClient does.
    // http:// endpoints need no agent: postPlain opens a connection per request.
    const agent = url.protocol === "https:" ? new (https().Agent)({ keepAlive: true, ...files }) : undefined
    return {
      url: given,
      post: (path, body, token, signal) => post(url, agent, deadlines, path, body, token, signal),
      close: () => agent?.destroy()
    }
  })
}
