// The name of a ServiceInstance: "<service>.<instance>". The parts become a Marathon app id prefix,
// where "_" is written "--" (Marathon ids allow only [a-z0-9.-]); "--", "-_" and "_-" are therefore
// forbidden in a name ("a-_b" and "a_-b" would both become "a---b"), so every app id maps back to
// exactly one instance.
import { Schema } from "effect"

const part = "[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?"
export const instanceNamePattern = new RegExp(`^${part}\\.${part}$`)

export const InstanceName = Schema.String.check(
  Schema.isMaxLength(128, { message: "must be at most 128 characters" }),
  Schema.isPattern(instanceNamePattern, {
    message: "must be \"<service>.<instance>\", each part lowercase [a-z0-9_-], starting and ending with [a-z0-9]"
  }),
  Schema.isPattern(/^(?!.*(--|-_|_-))/, {
    message: "must not contain \"--\", \"-_\" or \"_-\" (\"_\" is written \"--\" in Marathon app ids, so these would collide)"
  })
).annotate({
  title: "InstanceName",
  description: "\"<service>.<instance>\"; each part [a-z0-9]([a-z0-9_-]*[a-z0-9])?, no \"--\", \"-_\" or \"_-\"",
  examples: ["web.main", "payments_api.canary"]
})
export type InstanceName = typeof InstanceName.Type

/** Splits a valid name into its service and instance parts. */
export const splitInstanceName = (name: InstanceName): { readonly service: string; readonly instance: string } => {
  const dot = name.indexOf(".")
  return { service: name.slice(0, dot), instance: name.slice(dot + 1) }
}
