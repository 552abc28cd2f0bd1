import { setTimeout as sleep } from 'node:timers/promises'
import pLimit from 'p-limit'
import type { LimitFunction } from 'p-limit'

/**
 * Bounded concurrency (p-limit) that finds the rate an API will take, since Listrak answers 429
 * without a Retry-After. Two controls, both additive-increase, multiplicative-decrease:
 * - concurrency: a throttled request (429) halves the requests allowed at once; each success adds
 *   one slot per `limit` successes, back up to `max`;
 * - pacing: the first 429 sets a gap between request starts from the rate of recent successes,
 *   each further 429 widens it, and each success narrows it a little, so the runner settles just
 *   under the API's rate instead of bouncing off it.
 */
export class AdaptiveLimiter {
  private readonly limit: LimitFunction
  private level: number
  /** Milliseconds between request starts; 0 while nothing was throttled. */
  private gap = 0
  private nextStart = 0
  private readonly recentSuccesses: number[] = []
  private stopped = false

  constructor(
    private readonly max: number,
    private readonly now: () => number = Date.now
  ) {
    this.level = max
    this.limit = pLimit(max)
  }

  /** Requests allowed at once right now. */
  get concurrency(): number {
    return this.limit.concurrency
  }

  /** Requests per second the pacing allows, or undefined when unpaced. */
  get pace(): number | undefined {
    return this.gap > 0 ? 1000 / this.gap : undefined
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return this.limit(async () => {
      const now = this.now()
      const start = Math.max(now, this.nextStart)
      this.nextStart = start + this.gap
      if (start > now && !this.stopped) await sleep(start - now)
      return task()
    })
  }

  /** From now on tasks start at once, without waiting for a slot or the pace: for a run that is stopping. */
  stop(): void {
    this.stopped = true
    this.limit.concurrency = Number.POSITIVE_INFINITY
  }

  throttled(): void {
    this.setLevel(Math.max(1, this.level / 2))
    const rate = this.recentRate()
    // Without a measured rate (a 429 before two successes), no pace is guessed: a guess too slow takes hundreds
    // of successes to loosen. The halved concurrency holds until a later 429 paces from the rate measured then.
    if (this.gap > 0) this.gap *= 1.1
    else if (rate > 0) this.gap = 1000 / rate
    this.nextStart = this.now() + this.gap
  }

  succeeded(): void {
    const now = this.now()
    this.recentSuccesses.push(now)
    if (this.recentSuccesses.length > 200) this.recentSuccesses.shift()
    this.setLevel(Math.min(this.max, this.level + 1 / this.level))
    if (this.gap > 0) this.gap = this.gap * 0.998 < 1 ? 0 : this.gap * 0.998
  }

  private setLevel(level: number): void {
    this.level = level
    if (!this.stopped) this.limit.concurrency = Math.max(1, Math.floor(level))
  }

  /** Successes per second over the last second (0 with fewer than two: no rate is known). */
  private recentRate(): number {
    const now = this.now()
    const recent = this.recentSuccesses.filter((time) => time > now - 1000)
    if (recent.length < 2) return 0
    return ((recent.length - 1) * 1000) / Math.max(1, recent[recent.length - 1] - recent[0])
  }
}
