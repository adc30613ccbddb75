// Pure: the etcd connection a command uses, from the values of the global etcd flags (or their
// environment variables). Shared by the parsed command line (GlobalFlags.etcdOptions) and the
// quick `get` (QuickGetArgs.ts), so both reach etcd the same way.
import type { EtcdOptions } from "../store/EtcdOptions.ts"

export interface EtcdSettings {
  readonly etcd: string
  readonly etcdPrefix: string
  readonly etcdCa: string | undefined
  readonly etcdCert: string | undefined
  readonly etcdKey: string | undefined
  readonly etcdUser: string | undefined
  readonly etcdPassword: string | undefined
}

export const connectionOptions = (settings: EtcdSettings): EtcdOptions => {
  const { etcdCa: ca, etcdCert: cert, etcdKey: key, etcdUser: user } = settings
  return {
    endpoints: settings.etcd.split(",").map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== ""),
    prefix: settings.etcdPrefix,
    retries: 2,
    ...(ca === undefined && cert === undefined && key === undefined ? {} : {
      tls: {
        ...(ca === undefined ? {} : { caFile: ca }),
        ...(cert === undefined ? {} : { certFile: cert }),
        ...(key === undefined ? {} : { keyFile: key })
      }
    }),
    ...(user === undefined ? {} : { auth: { user, password: settings.etcdPassword ?? "" } })
  }
}
