// The span the current fiber runs in, or undefined, read from the fiber's context. Effect's
// `currentSpan` fails with a NoSuchElementError when there is none, and that error captures a stack
// trace each time: an idle pass, which runs untraced, paid for one on every look (about a sixth of
// its CPU).
import { Effect, Option, Tracer } from "effect"

export const currentSpan: Effect.Effect<Tracer.Span | undefined> = Effect.map(
  Effect.serviceOption(Tracer.ParentSpan),
  (parent) => Option.isSome(parent) && parent.value._tag === "Span" ? parent.value : undefined
)
