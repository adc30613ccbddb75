// The resourceVersion a repeated write of a spec must expect, after a write etcd did not answer.
// A document that carries metadata.resourceVersion (as `get -o yaml` prints it) is written only
// over that revision. When the first try's write landed, the spec has moved on to a revision the
// document cannot name, and the repeat would refuse the apply's own write as someone else's (exit
// 3). So when the first try read the revision the document expects, and the spec is now exactly
// what this apply asks for, the repeat expects nothing and finds it unchanged: the first try
// wrote it (or someone wrote the very same thing; either way nothing of theirs is overwritten).
// Anything else keeps the document's expectation, and a change by someone else stays a conflict.
import { Option } from "effect"
import type { ServiceInstance } from "../../../domain/ServiceInstance.ts"
import type { StoredInstance } from "../../../store/SpecStore.ts"
import { decideApply } from "../../../store/SpecStore.ts"
import { isAt } from "./repeatUnanswered.ts"

export const expectationOnRepeat = (
  document: ServiceInstance,
  firstRead: Option.Option<StoredInstance>,
  current: Option.Option<StoredInstance>
): string | undefined => {
  const expected = document.metadata.resourceVersion
  if (expected === undefined || !isAt(firstRead, expected) || isAt(current, expected)) return expected
  // Whether this apply would leave the spec as it is now (time and uid play no part in that).
  const decision = decideApply(current, document, { lastApplied: true }, "", () => "")
  return decision._tag === "Unchanged" ? undefined : expected
}
