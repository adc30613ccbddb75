// Reads etcd through its JSON gateway (GatewayTransport.ts) instead of etcd3: what the read-only
// commands (`get`, `describe`, `rollout status --watch=false`, `rollout history`) use, so that they
// start without loading gRPC and protobuf.js. Same answers as EtcdClient's reads: one key, or every
// key under a prefix at one revision (paged with `limit`, each page after the first continuing
// from the last key read at the first page's revision, so a long list is still one snapshot).
// Endpoints are tried in order, a failed one handing the call to the next; a token from
// `/v3/auth/authenticate` is kept per endpoint (etcd's simple tokens are per member) and renewed
// once when etcd calls it invalid. Failures are the StoreErrors EtcdClient reports, worded alike.
import { Context, Effect, Layer, Option, Result, Schema } from "effect"
import type { EtcdOptions } from "./EtcdOptions.ts"
import { etcdRetry } from "./EtcdOptions.ts"
import type { StoreError } from "./StoreError.ts"
import { storeError } from "./StoreError.ts"
import type { GatewayEndpoint } from "./GatewayTransport.ts"
import { GatewayFailure, gatewayEndpoints } from "./GatewayTransport.ts"

export interface KeyValue {
  readonly key: string
  readonly value: string
  readonly modRevision: string
  readonly createRevision: string
}

export interface RangeResult {
  readonly kvs: ReadonlyArray<KeyValue>
  /** The revision the keys were read at. */
  readonly revision: string
}

/** Keys per request of a prefix listing; a spec is a few kilobytes, so a page stays a few megabytes. */
export const defaultPageSize = 1_000

// int64 fields are JSON strings; fields at their zero value are left out.
const RangeAnswer = Schema.Struct({
  header: Schema.Struct({ revision: Schema.optionalKey(Schema.String) }),
  kvs: Schema.optionalKey(Schema.Array(Schema.Struct({
    key: Schema.String,
    value: Schema.optionalKey(Schema.String),
    mod_revision: Schema.optionalKey(Schema.String),
    create_revision: Schema.optionalKey(Schema.String)
  }))),
  more: Schema.optionalKey(Schema.Boolean)
})
const decodeRange = Schema.decodeUnknownResult(RangeAnswer)
const decodeToken = Schema.decodeUnknownResult(Schema.Struct({ token: Schema.String }))

const base64 = (bytes: Buffer) => bytes.toString("base64")

/** The end of the range of every key starting with `prefix`, as etcd3's `prefix()` computes it. */
export const prefixEnd = (prefix: Buffer): Buffer => {
  const end = Buffer.from(prefix)
  for (let index = end.length - 1; index >= 0; index--) {
    if (end[index]! < 0xff) {
      end[index] = end[index]! + 1
      return end.subarray(0, index + 1)
    }
  }
  return Buffer.from([0])
}

const unexpected = (what: string, answer: unknown) =>
  new GatewayFailure("Internal", new Error(`unexpected answer from etcd to ${what}: ${JSON.stringify(answer).slice(0, 200)}`))

const retryableFailure = (failure: GatewayFailure) => failure.reason === "Unavailable" || failure.reason === "Timeout"

export class EtcdGateway extends Context.Service<EtcdGateway, {
  readonly prefix: string
  /** The endpoints as given, comma-separated, as StoreErrors name them. */
  readonly endpoints: string
  /** One key, read at the current revision. */
  readonly get: (operation: string, key: string) => Effect.Effect<Option.Option<KeyValue>, StoreError>
  /** Every key under `prefix`, in key order, at one revision. */
  readonly list: (operation: string, prefix: string) => Effect.Effect<RangeResult, StoreError>
}>()("mdeploy/store/EtcdGateway") {
  static readonly layer = (options: EtcdOptions & { readonly pageSize?: number }) => Layer.effect(EtcdGateway, make(options))
}

const make = Effect.fnUntraced(function*(options: EtcdOptions & { readonly pageSize?: number }) {
  const endpoints = options.endpoints.join(",")
  const toStoreError = (operation: string) => (failure: GatewayFailure) => storeError(failure.reason, endpoints, operation, failure.error)
  const targets = yield* Effect.acquireRelease(
    Effect.try({
      try: () => gatewayEndpoints(options),
      catch: (failure) => toStoreError("connect")(failure instanceof GatewayFailure ? failure : new GatewayFailure("Internal", failure))
    }),
    (targets) => Effect.sync(() => targets.forEach((target) => target.close()))
  )
  if (targets.length === 0) return yield* storeError("Internal", endpoints, "connect", new Error("no etcd endpoint given"))
  const pageSize = Math.max(1, options.pageSize ?? defaultPageSize)
  const retry = etcdRetry(options.retries ?? 8)
  const tokens = new Map<GatewayEndpoint, string>()
  // The endpoint that answered last is asked first.
  let preferred = 0

  const send = (target: GatewayEndpoint, path: string, body: unknown, token: string | undefined) =>
    Effect.tryPromise({
      try: (signal) => target.post(path, body, token, signal),
      catch: (failure) => failure instanceof GatewayFailure ? failure : new GatewayFailure("Internal", failure)
    })

  const tokenFor = Effect.fnUntraced(function*(target: GatewayEndpoint) {
    if (options.auth === undefined) return undefined
    const known = tokens.get(target)
    if (known !== undefined) return known
    const answer = yield* send(target, "/v3/auth/authenticate", { name: options.auth.user, password: options.auth.password }, undefined)
    const decoded = decodeToken(answer)
    if (Result.isFailure(decoded)) return yield* Effect.fail(unexpected("authenticate", answer))
    tokens.set(target, decoded.success.token)
    return decoded.success.token
  })

  const sendAuthenticated = Effect.fnUntraced(function*(target: GatewayEndpoint, path: string, body: unknown) {
    const token = yield* tokenFor(target)
    const answered = yield* Effect.result(send(target, path, body, token))
    if (Result.isSuccess(answered)) return answered.success
    // A token etcd forgot (expired, or the member restarted): one more, once.
    const expired = token !== undefined && answered.failure.reason === "Unauthenticated" &&
      /invalid auth token/.test(String(answered.failure.error))
    if (!expired) return yield* Effect.fail(answered.failure)
    tokens.delete(target)
    return yield* send(target, path, body, yield* tokenFor(target))
  })

  /** One request, to each endpoint in turn while they fail to answer; retried as EtcdClient retries. */
  const request = (operation: string, path: string, body: unknown) =>
    Effect.gen(function*() {
      let last: GatewayFailure | undefined
      for (let step = 0; step < targets.length; step++) {
        const index = (preferred + step) % targets.length
        const answered = yield* Effect.result(sendAuthenticated(targets[index]!, path, body))
        if (Result.isSuccess(answered)) {
          preferred = index
          return answered.success
        }
        last = answered.failure
        if (!retryableFailure(last)) break
      }
      return yield* Effect.fail(toStoreError(operation)(last!))
    }).pipe(Effect.retry(retry))

  const range = Effect.fnUntraced(function*(operation: string, body: Record<string, unknown>) {
    const answer = yield* request(operation, "/v3/kv/range", body)
    const decoded = decodeRange(answer)
    if (Result.isFailure(decoded)) return yield* Effect.fail(toStoreError(operation)(unexpected("range", answer)))
    const kvs = (decoded.success.kvs ?? []).map((kv) => ({
      raw: Buffer.from(kv.key, "base64"),
      value: Buffer.from(kv.value ?? "", "base64").toString("utf8"),
      modRevision: kv.mod_revision ?? "0",
      createRevision: kv.create_revision ?? "0"
    }))
    return { kvs, revision: decoded.success.header.revision ?? "0", more: decoded.success.more === true }
  })

  const get = Effect.fn("EtcdGateway.get")(function*(operation: string, key: string) {
    const { kvs } = yield* range(operation, { key: base64(Buffer.from(key)) })
    const kv = kvs[0]
    return kv === undefined
      ? Option.none<KeyValue>()
      : Option.some({ key: kv.raw.toString("utf8"), value: kv.value, modRevision: kv.modRevision, createRevision: kv.createRevision })
  })

  const list = Effect.fn("EtcdGateway.list")(function*(operation: string, prefix: string) {
    const start = Buffer.from(prefix)
    const end = base64(prefixEnd(start))
    const kvs: Array<KeyValue> = []
    let from = start
    let revision: string | undefined
    while (true) {
      const page = yield* range(operation, {
        key: base64(from),
        range_end: end,
        limit: pageSize,
        ...(revision === undefined ? {} : { revision })
      })
      revision ??= page.revision
      for (const kv of page.kvs) {
        kvs.push({ key: kv.raw.toString("utf8"), value: kv.value, modRevision: kv.modRevision, createRevision: kv.createRevision })
      }
      const last = page.kvs.at(-1)
      if (!page.more || last === undefined) break
      from = Buffer.concat([last.raw, Buffer.from([0])])
    }
    return { kvs, revision } satisfies RangeResult
  })

  return EtcdGateway.of({ prefix: options.prefix.replace(/\/+$/, ""), endpoints, get, list })
})
