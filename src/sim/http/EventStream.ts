// GET /v2/events (spec §1.18): Server-Sent Events with Marathon's framing (`event:`/`data:`
// lines ending in \r\n, a bare \r\n heartbeat), `event_type` filters, event_stream_attached and
// _detached, slow consumers cut off after N buffered events, and no chunked encoding. The `silent`
// fault makes the streams open at that moment send nothing more, heartbeats included, while they
// stay open: a half-open connection or a stalled proxy, as a client sees it. Later streams are fine.
import type { ServerResponse } from "node:http"
import type { TimerHandle } from "../clock/SimClock.ts"
import type { SimEvent, Subscriber } from "../events/EventBus.ts"
import type { SimContext } from "../state/SimContext.ts"
import type { Exchange } from "./Exchange.ts"
import type { Leadership } from "./Leadership.ts"

export interface StreamSubscriber extends Subscriber {
  readonly res: ServerResponse
  /** Set by the `silent` fault: nothing more is written, and the connection stays open. */
  silent: boolean
  close(): void
}

export class EventStreams {
  private readonly ctx: SimContext
  private readonly streams = new Set<StreamSubscriber>()
  private heartbeat: TimerHandle | undefined = undefined

  constructor(ctx: SimContext) {
    this.ctx = ctx
  }

  get count(): number {
    return this.streams.size
  }

  closeAll(): void {
    for (const s of [...this.streams]) s.close()
  }

  /** The `silent` fault: every stream open now goes quiet for good; returns how many. */
  silenceAll(): number {
    for (const s of this.streams) s.silent = true
    return this.streams.size
  }

  /** Clearing the faults lets silenced streams speak again. */
  unsilenceAll(): void {
    for (const s of this.streams) s.silent = false
  }

  open(x: Exchange, leader: Leadership): void {
    const accepts = x.req.headersDistinct["accept"] ?? []
    if (!accepts.includes("text/event-stream")) return x.page(405, "HTTP method GET is not supported by this URL")
    if (!leader.elected) {
      x.answered = true
      x.res.destroy()
      return
    }
    const res = x.res
    res.useChunkedEncodingByDefault = false
    res.writeHead(200, { ...x.baseHeaders, "Content-Type": "text/event-stream;charset=UTF-8", Connection: "close" })
    res.flushHeaders()
    x.answered = true
    const types = x.query.getAll("event_type")
    const remoteAddress = x.clientIp
    const max = this.ctx.options.eventStreamMaxOutstanding
    let outstanding = 0
    let closed = false
    const sub: StreamSubscriber = {
      types: types.length === 0 ? undefined : new Set(types),
      faultable: true,
      res,
      silent: false,
      deliver: (e: SimEvent) => {
        if (closed || sub.silent) return
        if (!res.write(`event: ${e.eventType}\r\ndata: ${e.json}\r\n\r\n`)) outstanding++
        if (outstanding > max) sub.close()
      },
      close: () => {
        if (closed) return
        closed = true
        unsubscribe()
        this.streams.delete(sub)
        res.destroy()
        this.stopHeartbeat()
        this.ctx.events.emit("event_stream_detached", () => ({ remoteAddress }))
      }
    }
    res.on("drain", () => {
      outstanding = 0
    })
    res.on("close", () => sub.close())
    const unsubscribe = this.ctx.events.subscribe(sub)
    this.streams.add(sub)
    this.startHeartbeat()
    this.ctx.events.emit("event_stream_attached", () => ({ remoteAddress }))
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== undefined) return
    const beat = () => {
      for (const s of this.streams) if (!s.silent) s.res.write("\r\n")
      this.heartbeat = this.ctx.clock.schedule(this.ctx.options.heartbeatMs, beat)
    }
    this.heartbeat = this.ctx.clock.schedule(this.ctx.options.heartbeatMs, beat)
  }

  private stopHeartbeat(): void {
    if (this.streams.size > 0) return
    this.heartbeat?.cancel()
    this.heartbeat = undefined
  }
}
