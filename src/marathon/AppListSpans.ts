// Where each app of a `GET /v2/apps` answer lies in its bytes, found without parsing the answer:
// AppListReader.ts parses only the apps whose bytes changed since the last list. Only the shape
// Marathon sends is split — `{"apps":[{…},{…}]}` with any JSON whitespace — and every byte between
// the apps is checked against it; anything else is left to the whole-answer decoder (undefined).
// An app's end is found by counting brackets outside strings; that the app itself is well-formed
// JSON is left to JSON.parse of its bytes. Bytes of multi-byte UTF-8 characters are all >= 0x80,
// so none is taken for a bracket, quote or backslash.

const quote = 0x22
const backslash = 0x5c
const openBrace = 0x7b
const closeBrace = 0x7d
const openBracket = 0x5b
const closeBracket = 0x5d
const comma = 0x2c
const colon = 0x3a
const appsKey = [quote, 0x61, 0x70, 0x70, 0x73, quote] // "apps"

const isSpace = (byte: number | undefined) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09

/**
 * The apps' [start, end) byte offsets, two numbers per app in answer order; undefined when the
 * answer is not exactly an object whose one member "apps" is an array of objects.
 */
export const appListSpans = (bytes: Uint8Array): Int32Array | undefined => {
  const length = bytes.length
  let at = 0
  const skipSpace = () => {
    while (isSpace(bytes[at])) at++
  }
  const take = (byte: number) => {
    skipSpace()
    if (bytes[at] !== byte) return false
    at++
    return true
  }
  if (!take(openBrace)) return undefined
  skipSpace()
  for (const byte of appsKey) if (bytes[at++] !== byte) return undefined
  if (!take(colon) || !take(openBracket)) return undefined
  let spans = new Int32Array(1024)
  let count = 0
  skipSpace()
  if (bytes[at] === closeBracket) at++
  else {
    for (;;) {
      skipSpace()
      if (bytes[at] !== openBrace) return undefined
      const start = at
      let depth = 0
      for (; at < length; at++) {
        const byte = bytes[at]
        if (byte === quote) {
          // To the closing quote; an escaped character is skipped whole.
          for (at++; at < length && bytes[at] !== quote; at++) if (bytes[at] === backslash) at++
        } else if (byte === openBrace || byte === openBracket) depth++
        else if ((byte === closeBrace || byte === closeBracket) && --depth === 0) break
      }
      if (at >= length) return undefined
      at++
      if (count + 2 > spans.length) {
        const grown = new Int32Array(spans.length * 2)
        grown.set(spans)
        spans = grown
      }
      spans[count++] = start
      spans[count++] = at
      if (take(comma)) continue
      if (take(closeBracket)) break
      return undefined
    }
  }
  if (!take(closeBrace)) return undefined
  skipSpace()
  return at === length ? spans.subarray(0, count) : undefined
}
