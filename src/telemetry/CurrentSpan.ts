// The span the current fiber runs in, or undefined, read from the fiber's context. Effect's
// `currentSpan` fails with a NoSuchElementError when there is none, and that error captures a stack
// trace each time: a pass run outside any span (a service-level test, a benchmark of passes) spent
// about a sixth of its CPU on it. The controller's passes run inside its term's span.
import { Effect, Option, Tracer } from "effect"

export const currentSpan: Effect.Effect<Tracer.Span | undefined> = Effect.map(
  Effect.serviceOption(Tracer.ParentSpan),
  (parent) => Option.isSome(parent) && parent.value._tag === "Span" ? parent.value : undefined
)
