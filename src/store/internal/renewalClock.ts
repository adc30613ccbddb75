// How long ago a lease was last renewed, read on two clocks at once. The wall clock alone can be
// stepped by the host (NTP, a hypervisor): a step back would make an expired lease look renewed
// moments ago, and a holder keep acting after etcd has handed its keys to someone else. The
// monotonic clock cannot go back, but may not count time the machine spent suspended, which the
// wall clock catches up on. The elapsed time is the larger of the two readings, so neither clock
// can make the lease look younger than the other says it is.

export interface Clocks {
  /** Milliseconds since the epoch (Date.now). */
  readonly wall: () => number
  /** Milliseconds from an arbitrary origin that never goes back (performance.now). */
  readonly monotonic: () => number
}

export const systemClocks: Clocks = { wall: () => Date.now(), monotonic: () => performance.now() }

/** One moment read on both clocks. */
export interface Stamp {
  readonly wall: number
  readonly monotonic: number
}

/** Now, on both clocks. */
export const stampOf = (clocks: Clocks): Stamp => ({ wall: clocks.wall(), monotonic: clocks.monotonic() })

export interface RenewalClock {
  /** Now, on both clocks: taken when a keep-alive is sent. */
  readonly stamp: () => Stamp
  /** A keep-alive sent at `sentAt` was answered; an older one than the last renewal changes nothing. */
  readonly renewed: (sentAt: Stamp) => void
  /** Milliseconds since the last renewal was sent: the larger of the two clocks' readings. */
  readonly sinceRenewal: () => number
}

export const makeRenewalClock = (grantSentAt: Stamp, clocks: Clocks = systemClocks): RenewalClock => {
  let last = grantSentAt
  return {
    stamp: () => stampOf(clocks),
    renewed: (sentAt) => {
      if (sentAt.monotonic > last.monotonic) last = sentAt
    },
    sinceRenewal: () => Math.max(clocks.wall() - last.wall, clocks.monotonic() - last.monotonic)
  }
}
