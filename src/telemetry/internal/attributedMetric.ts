// One metric per attribute set, made on first use and kept. Not `Metric.withAttributes` over one
// base metric: the base remembers the series key (the JSON of its sorted attributes) of the last
// attribute set it was updated with, so updates that alternate between sets (span names, Marathon
// routes, reconcile results) built that key again on nearly every update. A metric made with its
// attributes keeps its own key, and is the same series as `withAttributes` over a base of that
// name and description (Effect keys a series by type, name, description and attributes).
// Only for attributes from a small, fixed set of values.
import { Metric } from "effect"

export const attributedMetric = <M extends Metric.Metric<any, any>>(
  make: (attributes: Readonly<Record<string, string>>) => M
) => {
  const made = new Map<string, M>()
  return (attributes: Readonly<Record<string, string>>): M => {
    let key = ""
    for (const name in attributes) key += `${name}\u0000${attributes[name]}\u0001`
    let instance = made.get(key)
    if (instance === undefined) {
      instance = make(attributes)
      made.set(key, instance)
    }
    return instance
  }
}

/** A counter and its series by label set: `metric` to read them, `of` to update one. */
export const labelledCounter = (name: string, options: { readonly description: string; readonly incremental?: boolean }) => ({
  metric: Metric.counter(name, options),
  of: attributedMetric((attributes) => Metric.counter(name, { ...options, attributes }))
})

/** A histogram and its series by label set: `metric` to read them, `of` to update one. */
export const labelledHistogram = (
  name: string,
  options: { readonly description: string; readonly boundaries: ReadonlyArray<number> }
) => ({
  metric: Metric.histogram(name, options),
  of: attributedMetric((attributes) => Metric.histogram(name, { ...options, attributes }))
})
