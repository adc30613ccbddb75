// Parses kubectl-style durations for `--timeout`: `30s`, `5m`, `1h30m`, `500ms`, `1.5s`. A bare
// `0` means "no limit", as it does for kubectl. Pure; the flag turns a None into a usage error.
import { Duration, Option } from "effect"

const unitMillis: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }
const whole = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/
const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/g

/** Some(Option.none()) for "no limit", Some(Some(d)) for a limit, None when unreadable. */
export const parseDuration = (text: string): Option.Option<Option.Option<Duration.Duration>> => {
  const trimmed = text.trim()
  if (trimmed === "0") return Option.some(Option.none())
  if (!whole.test(trimmed)) return Option.none()
  let millis = 0
  for (const match of trimmed.matchAll(part)) millis += Number(match[1]) * (unitMillis[match[2] ?? ""] ?? 0)
  return millis > 0 ? Option.some(Option.some(Duration.millis(millis))) : Option.some(Option.none())
}
