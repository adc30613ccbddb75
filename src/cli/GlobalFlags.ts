// Flags every command shares (design.md §6, CONTRACT), each with its environment variable, and the
// connection options built from them.
import { Config, Option } from "effect"
import { Flag } from "effect/cli"
import type { EtcdOptions } from "../store/EtcdClient.ts"
import { connectionOptions } from "./ConnectionOptions.ts"

// EtcdClient's defaults, repeated so that parsing flags does not load the etcd client (gRPC):
// `--version` and `--help` stay fast. A test keeps the two in step.
export const defaultEndpoint = "http://127.0.0.1:2379"
export const defaultPrefix = "/mdeploy/v1"

const withEnv = (flag: Flag.Flag<string>, variable: string) => flag.pipe(Flag.withFallbackConfig(Config.String(variable)))

const optionalWithEnv = (name: string, variable: string, description: string) =>
  withEnv(Flag.String(name), variable).pipe(Flag.withDescription(`${description} (env ${variable})`), Flag.optional)

export const globalFlags = {
  etcd: withEnv(Flag.String("etcd"), "MDEPLOY_ETCD_ENDPOINTS").pipe(
    Flag.withDescription("etcd client URLs, comma-separated (env MDEPLOY_ETCD_ENDPOINTS)"),
    Flag.withDefault(defaultEndpoint)
  ),
  etcdPrefix: withEnv(Flag.String("etcd-prefix"), "MDEPLOY_ETCD_PREFIX").pipe(
    Flag.withDescription("key prefix of every mdeploy key (env MDEPLOY_ETCD_PREFIX)"),
    Flag.withDefault(defaultPrefix)
  ),
  etcdCa: optionalWithEnv(
    "etcd-ca",
    "MDEPLOY_ETCD_CA",
    "CA certificate file for etcd TLS (default: the system CAs when an endpoint is https://)"
  ),
  etcdCert: optionalWithEnv("etcd-cert", "MDEPLOY_ETCD_CERT", "client certificate file for etcd TLS"),
  etcdKey: optionalWithEnv("etcd-key", "MDEPLOY_ETCD_KEY", "client key file for etcd TLS"),
  etcdUser: optionalWithEnv("etcd-user", "MDEPLOY_ETCD_USER", "etcd user name"),
  etcdPassword: optionalWithEnv("etcd-password", "MDEPLOY_ETCD_PASSWORD", "etcd password"),
  marathon: withEnv(Flag.String("marathon"), "MDEPLOY_MARATHON_URLS").pipe(
    Flag.withDescription("Marathon URLs, comma-separated, tried in order (env MDEPLOY_MARATHON_URLS)"),
    Flag.withDefault("http://127.0.0.1:8080")
  ),
  context: optionalWithEnv(
    "context",
    "MDEPLOY_CONTEXT",
    "the context of the config file to use (default: its current-context; see 'mdeploy config')"
  ),
  owner: optionalWithEnv(
    "owner",
    "MDEPLOY_OWNER",
    "this installation's owner id, on every app it creates (default: derived from the etcd cluster id and prefix)"
  ),
  output: Flag.Literals("output", ["table", "yaml", "json", "wide", "name"]).pipe(
    Flag.withAlias("o"),
    Flag.withDescription("output format"),
    Flag.withDefault("table")
  )
}

export interface GlobalOptions {
  readonly etcd: string
  readonly etcdPrefix: string
  readonly etcdCa: Option.Option<string>
  readonly etcdCert: Option.Option<string>
  readonly etcdKey: Option.Option<string>
  readonly etcdUser: Option.Option<string>
  readonly etcdPassword: Option.Option<string>
  readonly marathon: string
  readonly context: Option.Option<string>
  readonly owner: Option.Option<string>
  readonly output: "table" | "yaml" | "json" | "wide" | "name"
}

export const etcdOptions = (flags: GlobalOptions): EtcdOptions =>
  connectionOptions({
    etcd: flags.etcd,
    etcdPrefix: flags.etcdPrefix,
    etcdCa: Option.getOrUndefined(flags.etcdCa),
    etcdCert: Option.getOrUndefined(flags.etcdCert),
    etcdKey: Option.getOrUndefined(flags.etcdKey),
    etcdUser: Option.getOrUndefined(flags.etcdUser),
    etcdPassword: Option.getOrUndefined(flags.etcdPassword)
  })

export const marathonUrls = (flags: GlobalOptions): ReadonlyArray<string> =>
  flags.marathon.split(",").map((url) => url.trim()).filter((url) => url !== "")
