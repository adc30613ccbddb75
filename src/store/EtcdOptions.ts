// How to reach etcd, whichever client reads it: etcd3 over gRPC (EtcdClient) or the JSON gateway
// (EtcdGateway). Loads no client library, so a command can hold these before it picks one.
import { Schedule } from "effect"
import type { StoreError } from "./StoreError.ts"

export interface EtcdOptions {
  /** Client URLs, e.g. ["http://127.0.0.1:2379"]. */
  readonly endpoints: ReadonlyArray<string>
  /** Key prefix of every mdeploy key (design.md §3), without a trailing slash. */
  readonly prefix: string
  readonly callTimeoutMs?: number
  readonly dialTimeoutMs?: number
  /** TLS to etcd; also used, with the default CAs, when an endpoint is https:// and no CA file is given. */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string }
  readonly auth?: { readonly user: string; readonly password: string }
  /** Retries of a failed idempotent call (default 8); the CLI uses fewer to fail fast. */
  readonly retries?: number
}

/**
 * The HTTP/2 flow-control window of every etcd connection, for the connection and for each call.
 * gRPC's default (64 KiB) lets etcd send that much of an answer before this process has read it
 * and said so: a list page of 500 statuses (about 570 KiB) then reaches the process in nine steps,
 * each waiting for the event loop to come round. A new leader's event loop is busy parsing the
 * Marathon list and the first pages while the next pages are being sent, so each step waited up to
 * tens of milliseconds (its lists took 250–400 ms at 1,000 instances against 160–240 ms with this
 * window). The window only allows etcd to send ahead; it reserves no memory.
 */
export const grpcFlowControlWindow = 16 * 1024 * 1024

export const defaultPrefix = "/mdeploy/v1"
export const defaultEndpoint = "http://127.0.0.1:2379"
export const defaultCallTimeoutMs = 5_000

/**
 * Which of `endpoints` members the `attempt`-th dedicated connection goes to (round robin): the
 * informers' sessions move on with it, and the checks they share (MemberPulse) are kept per member.
 */
export const memberOf = (attempt: number, endpoints: number): number => attempt % Math.max(endpoints, 1)
export const defaultDialTimeoutMs = 3_000

/** Transient etcd failures: exponential from 50 ms, capped at 2 s, jittered, at most `times` retries. */
export const etcdRetry = (times: number) =>
  Schedule.min([Schedule.exponential("50 millis"), Schedule.spaced("2 seconds")]).pipe(
    Schedule.jittered,
    Schedule.upTo({ times }),
    Schedule.setInputType<StoreError>(),
    Schedule.while(({ input }) => input.retryable)
  )
