// The managed-app list as a resync reads it, every few minutes, with nearly every app unchanged.
// Parsing the whole answer each time (64 MB at 30,000 apps: UTF-8 text, JSON.parse, the decode) was
// most of a resync's CPU and a heap of garbage for the collector to mark. Here the answer stays
// bytes: split into apps (AppListSpans.ts), and an app whose bytes are those of the same app in the
// previous answer is the previous answer's ObservedApp again, parsed nothing; only changed apps are
// parsed and decoded (AppListDecoder.ts). Decoding is a function of an app's bytes alone, so the
// result is what decoding the whole answer gives (test/marathon/AppListReader.test.ts holds it so).
import type { ObservedApp } from "../plan/Observed.ts"
import type { SplitAnswer } from "./AppListSpans.ts"
import { appListSpans } from "./AppListSpans.ts"
import { decodeAppList, observedAppOf, UnreadableAnswer } from "./AppListDecoder.ts"

interface Previous extends SplitAnswer {
  readonly apps: ReadonlyArray<ObservedApp>
}

const text = new TextDecoder()

/** How many apps were parsed, and how many were the previous answer's, in the last read. */
export interface ReadCounts {
  readonly parsed: number
  readonly reused: number
}

export const makeAppListReader = () => {
  let previous: Previous | undefined
  let counts: ReadCounts = { parsed: 0, reused: 0 }

  /** The apps of a `GET /v2/apps` answer; throws UnreadableAnswer when it is not one. */
  const read = (bytes: Uint8Array): Array<ObservedApp> => {
    const listed = appListSpans(bytes, previous)
    if (listed === undefined) {
      // Not the shape Marathon sends: the whole-answer decoder says what is wrong, or reads it.
      previous = undefined
      const apps = decodeAppList(text.decode(bytes))
      counts = { parsed: apps.length, reused: 0 }
      return apps
    }
    const { spans, matches } = listed
    const apps = new Array<ObservedApp>(matches.length)
    let parsed = 0
    for (let index = 0; index < apps.length; index++) {
      const start = spans[2 * index]!
      const end = spans[2 * index + 1]!
      const match = matches[index]!
      if (match >= 0) apps[index] = previous!.apps[match]!
      else {
        let value: unknown
        try {
          value = JSON.parse(text.decode(bytes.subarray(start, end)))
        } catch (error) {
          throw new UnreadableAnswer(`not JSON: apps[${index}]: ${(error as Error).message}`)
        }
        apps[index] = observedAppOf(value, `apps[${index}]`)
        parsed++
      }
    }
    previous = { bytes, spans, apps }
    counts = { parsed, reused: apps.length - parsed }
    return apps
  }

  return { read, counts: (): ReadCounts => counts }
}

export type AppListReader = ReturnType<typeof makeAppListReader>
