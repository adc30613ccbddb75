// Marathon's label selector for `GET /v2/apps?label=` (spec §1.1.1): comma-separated terms,
// AND-ed; `key`, `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`. Every form requires the
// key to be present. Characters outside [-A-Za-z0-9_.] must be escaped with a backslash.
// Not the Kubernetes grammar of domain/LabelSelector.ts: there `!=` also matches absent keys.

export type Selector = (labels: Readonly<Record<string, string>>) => boolean

export class SelectorParseError extends Error {
  readonly query: string
  constructor(query: string, reason: string) {
    super(`Can not parse label selector ${query}. Reason: ${reason}`)
    this.query = query
  }
}

type Token = { readonly kind: "word"; readonly text: string } | { readonly kind: "op"; readonly text: string }

const plain = /[-A-Za-z0-9_.]/

const tokenize = (query: string): Array<Token> => {
  const out: Array<Token> = []
  let i = 0
  while (i < query.length) {
    const ch = query[i]!
    if (ch === " ") {
      i++
    } else if (ch === "\\" || plain.test(ch)) {
      let text = ""
      while (i < query.length) {
        const c = query[i]!
        if (c === "\\") {
          if (i + 1 >= query.length) throw new Error("dangling escape character")
          text += query[i + 1]
          i += 2
        } else if (plain.test(c)) {
          text += c
          i++
        } else break
      }
      out.push({ kind: "word", text })
    } else if (query.startsWith("==", i) || query.startsWith("!=", i)) {
      out.push({ kind: "op", text: query.slice(i, i + 2) })
      i += 2
    } else if (ch === "," || ch === "(" || ch === ")") {
      out.push({ kind: "op", text: ch })
      i++
    } else {
      throw new Error(`unexpected character '${ch}' at position ${i}`)
    }
  }
  return out
}

export const parseSelector = (query: string): Selector => {
  let tokens: Array<Token>
  try {
    tokens = tokenize(query)
  } catch (e) {
    throw new SelectorParseError(query, (e as Error).message)
  }
  let pos = 0
  const fail = (reason: string): never => {
    throw new SelectorParseError(query, reason)
  }
  const word = (): string => {
    const t = tokens[pos]
    if (t?.kind !== "word") return fail(`expected a label or value at token ${pos}`)
    pos++
    return t.text
  }
  const isOp = (text: string): boolean => tokens[pos]?.kind === "op" && tokens[pos]!.text === text
  const set = (): Array<string> => {
    if (!isOp("(")) return fail("expected '('")
    pos++
    const values = [word()]
    while (isOp(",")) {
      pos++
      values.push(word())
    }
    if (!isOp(")")) return fail("expected ')'")
    pos++
    return values
  }
  const terms: Array<Selector> = []
  for (;;) {
    const key = word()
    if (isOp("==") || isOp("!=")) {
      const negate = tokens[pos]!.text === "!="
      pos++
      const value = word()
      terms.push((l) => Object.hasOwn(l, key) && (l[key] === value) !== negate)
    } else if (tokens[pos]?.kind === "word" && (tokens[pos]!.text === "in" || tokens[pos]!.text === "notin")) {
      const negate = tokens[pos]!.text === "notin"
      pos++
      const values = set()
      terms.push((l) => Object.hasOwn(l, key) && values.includes(l[key]!) !== negate)
    } else {
      terms.push((l) => Object.hasOwn(l, key))
    }
    if (pos >= tokens.length) break
    if (!isOp(",")) fail(`expected ',' at token ${pos}`)
    pos++
  }
  return (labels) => terms.every((t) => t(labels))
}
