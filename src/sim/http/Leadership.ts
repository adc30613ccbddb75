// Who the emulator says the leader is (spec §1.16, F4): the announced `host:port`, windows
// without a leader (after DELETE /v2/leader or an injected election), and the hook that closes
// every event stream when leadership moves.
import type { SimClock, TimerHandle } from "../clock/SimClock.ts"

export class Leadership {
  host: string
  /** True once leadership moved away from this instance's own address (F4). */
  moved = false
  private electedAt: number | undefined = undefined
  private timer: TimerHandle | undefined = undefined
  private readonly clock: SimClock
  /** Closes every SSE stream; set by the event-stream route. */
  dropStreams: () => void = () => {}

  constructor(host: string, clock: SimClock) {
    this.host = host
    this.clock = clock
  }

  get elected(): boolean {
    return this.electedAt === undefined
  }

  /** Moves leadership to `host`: clients see the new leader and lose their streams. */
  change(host: string): void {
    this.host = host
    this.moved = true
    this.dropStreams()
  }

  /** No leader for `ms` of emulator time (forever when undefined), streams dropped. */
  lose(ms: number | undefined): void {
    this.timer?.cancel()
    this.electedAt = this.clock.now()
    this.dropStreams()
    this.timer = ms === undefined ? undefined : this.clock.schedule(ms, () => this.regain())
  }

  regain(): void {
    this.timer?.cancel()
    this.timer = undefined
    this.electedAt = undefined
  }

  /** DELETE /v2/leader: leadership goes ~500 ms later, and comes back after a short election. */
  abdicate(): void {
    this.timer?.cancel()
    this.timer = this.clock.schedule(500, () => this.lose(2000))
  }
}
