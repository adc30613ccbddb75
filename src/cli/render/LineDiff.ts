// Pure: a unified line diff (Myers' O(ND) algorithm) for `mdeploy diff`, with three lines of context
// per hunk like `diff -u`.

type Edit = { readonly kind: " " | "-" | "+"; readonly text: string }

const editScript = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): Array<Edit> => {
  const max = a.length + b.length
  const offset = max + 1
  const frontier = new Int32Array(2 * max + 3)
  const trace: Array<Int32Array> = []
  outer: for (let d = 0; d <= max; d++) {
    trace.push(frontier.slice())
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (frontier[offset + k - 1] ?? 0) < (frontier[offset + k + 1] ?? 0))
      let x = down ? (frontier[offset + k + 1] ?? 0) : (frontier[offset + k - 1] ?? 0) + 1
      let y = x - k
      while (x < a.length && y < b.length && a[x] === b[y]) {
        x++
        y++
      }
      frontier[offset + k] = x
      if (x >= a.length && y >= b.length) break outer
    }
  }
  // Walk the trace backwards to recover the path.
  const edits: Array<Edit> = []
  let x = a.length
  let y = b.length
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!
    const k = x - y
    const down = k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))
    const previousK = down ? k + 1 : k - 1
    const previousX = v[offset + previousK] ?? 0
    const previousY = previousX - previousK
    while (x > previousX && y > previousY) {
      edits.push({ kind: " ", text: a[--x]! })
      y--
    }
    if (d > 0) {
      if (down) edits.push({ kind: "+", text: b[--y]! })
      else edits.push({ kind: "-", text: a[--x]! })
    }
  }
  return edits.reverse()
}

/** `diff -u` style text, or "" when the inputs are equal. */
export const unifiedDiff = (before: string, after: string, fromLabel: string, toLabel: string): string => {
  const a = before === "" ? [] : before.replace(/\n$/, "").split("\n")
  const b = after === "" ? [] : after.replace(/\n$/, "").split("\n")
  const edits = editScript(a, b)
  if (edits.every((edit) => edit.kind === " ")) return ""
  const context = 3
  const lines = [`--- ${fromLabel}`, `+++ ${toLabel}`]
  let index = 0
  let aLine = 1
  let bLine = 1
  while (index < edits.length) {
    if (edits[index]!.kind === " ") {
      index++
      aLine++
      bLine++
      continue
    }
    // A hunk: back up `context` lines, then run until `2 × context` unchanged lines in a row.
    const start = Math.max(0, index - context)
    let end = index
    let quiet = 0
    while (end < edits.length && quiet < 2 * context) {
      quiet = edits[end]!.kind === " " ? quiet + 1 : 0
      end++
    }
    end = Math.min(edits.length, end - Math.max(0, quiet - context))
    const hunk = edits.slice(start, end)
    const aStart = aLine - (index - start)
    const bStart = bLine - (index - start)
    const aCount = hunk.filter((edit) => edit.kind !== "+").length
    const bCount = hunk.filter((edit) => edit.kind !== "-").length
    lines.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`)
    for (const edit of hunk) lines.push(`${edit.kind}${edit.text}`)
    for (const edit of edits.slice(index, end)) {
      if (edit.kind !== "+") aLine++
      if (edit.kind !== "-") bLine++
    }
    index = end
  }
  return `${lines.join("\n")}\n`
}
