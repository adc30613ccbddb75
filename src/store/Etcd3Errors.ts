// etcd3's exception classes mapped to StoreError reasons: here and nowhere else, so the rest of
// mdeploy sees StoreError. Loaded with etcd3 itself (EtcdClient.layer), never by a command that
// reads through the JSON gateway.
import * as Etcd from "etcd3"
import type { StoreError, StoreFailure } from "./StoreError.ts"
import { storeError } from "./StoreError.ts"

const reasonOf = (error: unknown): StoreFailure => {
  if (error instanceof Etcd.GRPCUnavailableError || error instanceof Etcd.GRPCCancelledError) return "Unavailable"
  if (error instanceof Etcd.GRPCDeadlineExceededError) return "Timeout"
  if (error instanceof Etcd.EtcdAuthenticationFailedError || error instanceof Etcd.GRPCUnauthenticatedError) {
    return "Unauthenticated"
  }
  if (error instanceof Etcd.EtcdInvalidAuthTokenError) return "Unauthenticated"
  // etcd with auth enabled, asked without credentials.
  if (error instanceof Error && /user name is empty/.test(error.message)) return "Unauthenticated"
  if (error instanceof Etcd.EtcdPermissionDeniedError) return "PermissionDenied"
  if (error instanceof Etcd.GRPCOutOfRangeError) return "Compacted"
  if (error instanceof Etcd.ClientClosedError) return "Closed"
  if (error instanceof Error && /connect|ECONNREFUSED|No connection established|unavailable/i.test(error.message)) {
    return "Unavailable"
  }
  return "Internal"
}

export const fromEtcd = (endpoint: string, operation: string) => (error: unknown): StoreError =>
  storeError(reasonOf(error), endpoint, operation, error)
