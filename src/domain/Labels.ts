// Kubernetes label syntax for metadata.labels: keys are "[prefix/]name", names and values at most
// 63 characters of [A-Za-z0-9_.-] starting and ending alphanumeric (values may be empty).
// Written as patterns so the generated JSON Schema carries them too.
import { Schema } from "effect"

const labelName = "[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?"
const dnsLabel = "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
export const labelKeyPattern = new RegExp(`^(?:${dnsLabel}(?:\\.${dnsLabel})*/)?${labelName}$`)
export const labelValuePattern = new RegExp(`^(?:${labelName})?$`)

export const LabelKey = Schema.String.check(
  Schema.isMaxLength(317, { message: "label keys are at most 253 + 1 + 63 characters" }),
  Schema.isPattern(labelKeyPattern, {
    message: "label keys are \"[prefix/]name\", name at most 63 characters of [A-Za-z0-9_.-]"
  })
)

export const LabelValue = Schema.String.check(
  Schema.isPattern(labelValuePattern, {
    message: "label values are empty or at most 63 characters of [A-Za-z0-9_.-]"
  })
)

export const Labels = Schema.Record(LabelKey, LabelValue).annotate({
  description: "Kubernetes-style labels, selectable with `mdeploy get -l`"
})
export type Labels = typeof Labels.Type
