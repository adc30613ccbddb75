// Marathon timestamps: ISO-8601 UTC with milliseconds. Versions are handed out strictly
// increasing, so two changes in the same millisecond still get distinct, ordered versions.

export const iso = (ms: number): string => new Date(ms).toISOString()

export class VersionSource {
  private last = 0

  /** A fresh version at or after `now`, later than every version handed out before. */
  next(now: number): string {
    this.last = Math.max(now, this.last + 1)
    return iso(this.last)
  }
}
