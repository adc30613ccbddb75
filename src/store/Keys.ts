// The etcd key layout of design.md §3 (CONTRACT). Every key mdeploy reads or writes is built here.
import type { InstanceName } from "../domain/InstanceName.ts"

/** Generations are zero-padded so a prefix range lists history in order. */
const generationKey = (generation: number): string => generation.toString().padStart(10, "0")

export const makeKeys = (prefix: string) => ({
  prefix,
  specs: `${prefix}/specs/`,
  spec: (name: InstanceName | string) => `${prefix}/specs/${name}`,
  statuses: `${prefix}/status/`,
  status: (name: InstanceName | string) => `${prefix}/status/${name}`,
  history: (name: InstanceName | string) => `${prefix}/history/${name}/`,
  historyEntry: (name: InstanceName | string, generation: number) => `${prefix}/history/${name}/${generationKey(generation)}`,
  drains: `${prefix}/drain/`,
  drainsOf: (name: InstanceName | string) => `${prefix}/drain/${name}/`,
  drain: (name: InstanceName | string, taskId: string) => `${prefix}/drain/${name}/${taskId}`,
  /** A drain delay counted down on etcd's clock: the key lives on a lease that ends with the delay. */
  drainDelaysOf: (name: InstanceName | string) => `${prefix}/drain-delay/${name}/`,
  drainDelay: (name: InstanceName | string, taskId: string) => `${prefix}/drain-delay/${name}/${taskId}`,
  instanceLock: (name: InstanceName | string) => `${prefix}/locks/instance/${name}`,
  appLifecycleLock: `${prefix}/locks/app-lifecycle`,
  cleanupLedger: `${prefix}/cleanup/ledger`,
  events: `${prefix}/events/`,
  eventsOf: (name: InstanceName | string) => `${prefix}/events/${name}/`,
  event: (name: InstanceName | string, id: string) => `${prefix}/events/${name}/${id}`,
  rollouts: `${prefix}/rollouts/`,
  rolloutsOf: (name: InstanceName | string) => `${prefix}/rollouts/${name}/`,
  rollout: (name: InstanceName | string, generation: number) => `${prefix}/rollouts/${name}/${generationKey(generation)}`,
  leader: `${prefix}/leader`,
  gitSources: `${prefix}/gitsources/`,
  gitSource: (name: string) => `${prefix}/gitsources/${name}`,
  gitSourceStatus: (name: string) => `${prefix}/gitsource-status/${name}`,
  gitSourceRequests: `${prefix}/gitsource-requests/`,
  gitSourceRequest: (name: string) => `${prefix}/gitsource-requests/${name}`,
  notifiers: `${prefix}/notifiers/`,
  notifier: (name: string) => `${prefix}/notifiers/${name}`,
  notifications: `${prefix}/notifications/`,
  /** One delivery record: (notifier, subject, generation, reason), design.md §15. */
  notification: (notifier: string, subject: string, generation: number, reason: string) =>
    `${prefix}/notifications/${notifier}/${subject}/${generationKey(generation)}/${reason}`
})
export type Keys = ReturnType<typeof makeKeys>

/** Number of earlier specs kept per instance. */
export const historyLimit = 10
