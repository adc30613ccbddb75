// One metric instance per attribute set, made on first use and kept. An Effect metric instance
// remembers its series key (the JSON of its sorted attributes) for itself only, so a fresh
// `Metric.withAttributes` per update builds that key again each time: on every span end, every
// reconcile and every Marathon call. Only for attributes from a small, fixed set of values.
import { Metric } from "effect"

export const attributedMetric = <M extends Metric.Metric<any, any>>(metric: M) => {
  const made = new Map<string, M>()
  return (attributes: Readonly<Record<string, string>>): M => {
    let key = ""
    for (const name in attributes) key += `${name}\u0000${attributes[name]}\u0001`
    let instance = made.get(key)
    if (instance === undefined) {
      instance = Metric.withAttributes(metric, attributes) as M
      made.set(key, instance)
    }
    return instance
  }
}
