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

// Taken as CommonJS modules when first needed, not imported: the ESM facade of node:http reads
// every export, among them the lazy WebSocket and EventSource getters, which load Node's bundled
// undici and zlib (a tenth of `get`'s start-up); node:https loads node:tls (another 25 ms), of no
// use with http:// endpoints.
const http = () => process.getBuiltinModule("node:http")
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

const post = (
  url: URL,
  agent: HttpAgent,
  deadlines: Deadlines,
  path: string,
  body: unknown,
  token: string | undefined,
  signal: AbortSignal
): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(body)
    const send = url.protocol === "https:" ? https().request : http().request
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
    const agent = url.protocol === "https:"
      ? new (https().Agent)({ keepAlive: true, ...files })
      : new (http().Agent)({ keepAlive: true })
    return {
      url: given,
      post: (path, body, token, signal) => post(url, agent, deadlines, path, body, token, signal),
      close: () => agent.destroy()
    }
  })
}
