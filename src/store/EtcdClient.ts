// The one etcd3 connection of a process. Owns connection options (endpoints, TLS, user/password,
// per-call deadline) and turns etcd3 promises into Effects with typed StoreErrors. etcd3's own
// cockatiel retry is switched off: Effect Schedules (`etcdRetry`) are the only retry owner, so every
// retry shows in a trace. Per-host circuit breakers stay on multi-member clusters: they do not retry,
// they let a call skip a member that just failed to answer. Every unary call carries a deadline
// (`callTimeoutMs`, 5 s): a member that accepts connections but never answers (frozen, partitioned
// from its peers by a dead disk) fails the call instead of hanging it, and the breaker puts that
// member aside, so the retry goes to another one.
import { Context, Effect, Layer } from "effect"
import type { Scope } from "effect"
import type { Etcd3, IOptions } from "etcd3"
import type { EtcdOptions } from "./EtcdOptions.ts"
import { defaultCallTimeoutMs, defaultDialTimeoutMs, defaultEndpoint, etcdRetry, grpcFlowControlWindow, memberOf } from "./EtcdOptions.ts"
import { StoreError, storeError } from "./StoreError.ts"

// Not an import: importing node:fs evaluates every export (fs/promises, readline) on each CLI start.
const { readFileSync } = process.getBuiltinModule("node:fs")

export type { EtcdOptions } from "./EtcdOptions.ts"
export { defaultCallTimeoutMs, defaultEndpoint, defaultPrefix, etcdRetry } from "./EtcdOptions.ts"

/**
 * etcd3 (with gRPC and protobuf.js, about a quarter of a second to load), cockatiel and the error
 * mapping, loaded when a layer is built rather than when this module is imported: a command that
 * only names the store services (their interfaces live beside their etcd layers) and reads through
 * the JSON gateway never pays for them.
 */
const loadEtcd3 = Effect.tryPromise({
  try: () => Promise.all([import("etcd3"), import("cockatiel"), import("./Etcd3Errors.ts")]),
  catch: (error) => storeError("Internal", "", "load etcd3", error)
})

type Libraries = Effect.Success<typeof loadEtcd3>

const toEtcd3Options = ([etcd3, cockatiel]: Libraries, options: EtcdOptions): IOptions => {
  const { ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, noJitterGenerator, noop } = cockatiel
  const callTimeoutMs = options.callTimeoutMs ?? defaultCallTimeoutMs
  const hosts = options.endpoints.map((endpoint) => endpoint.replace(/^https?:\/\//, ""))
  const tls = options.tls ?? (options.endpoints.some((endpoint) => endpoint.startsWith("https://")) ? {} : undefined)
  return {
    hosts,
    dialTimeout: options.dialTimeoutMs ?? defaultDialTimeoutMs,
    // gRPC's own reconnect backoff grows to 120 s; after an etcd restart the controller must be
    // back within a second, and Effect schedules already pace the retries.
    grpcOptions: {
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 1_000,
      // gRPC refuses answers over 4 MiB by default; listing 10,000 specs or statuses is more.
      "grpc.max_receive_message_length": 512 * 1024 * 1024,
      "grpc-node.flow_control_window": grpcFlowControlWindow
    },
    // Streams (watches, keep-alives) must not have a deadline; unary calls must, or a call in
    // flight while the etcd leader dies stalls for the server's own ~7 s timeout.
    defaultCallOptions: (context) => context.isStream ? {} : { deadline: Date.now() + callTimeoutMs },
    faultHandling: {
      global: noop,
      // One transport failure (deadline, unavailable) puts a member aside for 2 s, so the retry of
      // the call that failed goes to another member instead of a random one; answers etcd gave
      // (a lost lease, a denied permission) say nothing about the member and do not count. A
      // member that fails again when tried after that stays aside twice as long each time (4, 8,
      // 16, then 30 s): a frozen member costs each call that tries it a whole deadline (5 s), and a
      // campaign and a lock that tried it in turn, each after its 2 s aside, cost 10 s of an edit.
      host: () =>
        hosts.length > 1
          ? circuitBreaker(handleWhen(etcd3.isRecoverableError), {
            halfOpenAfter: new ExponentialBackoff({ generator: noJitterGenerator, initialDelay: 2_000, maxDelay: 30_000 }),
            breaker: new ConsecutiveBreaker(1)
          })
          : noop
    },
    ...(tls === undefined ? {} : {
      credentials: {
        // Without a CA file: Node's default CAs, NODE_EXTRA_CA_CERTS included.
        rootCertificate: tls.caFile === undefined
          ? Buffer.from(process.getBuiltinModule("node:tls").getCACertificates("default").join("\n"))
          : readFileSync(tls.caFile),
        ...(tls.keyFile === undefined ? {} : { privateKey: readFileSync(tls.keyFile) }),
        ...(tls.certFile === undefined ? {} : { certChain: readFileSync(tls.certFile) })
      }
    }),
    ...(options.auth === undefined ? {} : { auth: { username: options.auth.user, password: options.auth.password } })
  }
}

export class EtcdClient extends Context.Service<EtcdClient, {
  readonly client: Etcd3
  readonly prefix: string
  readonly endpoints: string
  /** Runs one etcd3 call, mapping its failure to a StoreError that names the endpoint and operation. */
  readonly call: <A>(operation: string, f: (client: Etcd3) => Promise<A>) => Effect.Effect<A, StoreError>
  /** `call` retried with `etcdRetry`: only for reads and other idempotent calls. */
  readonly callIdempotent: <A>(operation: string, f: (client: Etcd3) => Promise<A>) => Effect.Effect<A, StoreError>
  /**
   * A connection of its own to one member (the `attempt`-th endpoint, round robin), closed with the
   * scope. For long-lived streams: etcd3 multiplexes every watch of a client over one stream to one
   * member, so a watch stuck on a frozen member can only be left by closing its connection, and the
   * next attempt should go to the next member rather than to a random one.
   */
  readonly dedicated: (attempt: number) => Effect.Effect<Etcd3, StoreError, Scope.Scope>
}>()("mdeploy/store/EtcdClient") {
  static readonly layer = (options: EtcdOptions) =>
    Layer.effect(
      EtcdClient,
      Effect.gen(function*() {
        const endpoints = options.endpoints.join(",")
        const libraries = yield* loadEtcd3
        const [{ Etcd3 }, , { fromEtcd }] = libraries
        const client = yield* Effect.acquireRelease(
          Effect.try({
            try: () => new Etcd3(toEtcd3Options(libraries, options)),
            catch: (error) => fromEtcd(endpoints, "connect")(error)
          }),
          (client) => Effect.sync(() => client.close())
        )
        const call = <A>(operation: string, f: (client: Etcd3) => Promise<A>): Effect.Effect<A, StoreError> =>
          Effect.tryPromise({ try: () => f(client), catch: fromEtcd(endpoints, operation) })
        const retry = etcdRetry(options.retries ?? 8)
        const callIdempotent = <A>(operation: string, f: (client: Etcd3) => Promise<A>) => call(operation, f).pipe(Effect.retry(retry))
        const dedicated = (attempt: number) => {
          const endpoint = options.endpoints[memberOf(attempt, options.endpoints.length)] ?? defaultEndpoint
          return Effect.acquireRelease(
            Effect.try({
              try: () => new Etcd3(toEtcd3Options(libraries, { ...options, endpoints: [endpoint] })),
              catch: (error) => fromEtcd(endpoint, "connect")(error)
            }),
            (client) => Effect.sync(() => client.close())
          )
        }
        return EtcdClient.of({ client, prefix: options.prefix.replace(/\/+$/, ""), endpoints, call, callIdempotent, dedicated })
      })
    )
}
