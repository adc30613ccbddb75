// Pure: kubectl-style plain tables — upper-case headers, columns padded to the widest cell,
// three spaces between columns, no borders.

export const renderTable = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, column) => column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)).join("   ").trimEnd()
  return [line(headers), ...rows.map(line)].join("\n")
}

/** "45s", "12m", "3h", "5d": the age of something created at `from`, seen at `now` (milliseconds). */
export const formatAge = (fromMillis: number, nowMillis: number): string => {
  const seconds = Math.max(0, Math.floor((nowMillis - fromMillis) / 1000))
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 120) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h`
  return `${Math.floor(hours / 24)}d`
}
