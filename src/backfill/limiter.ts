import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Bounded concurrency that finds the rate an API will take, since Listrak answers 429 without a
 * Retry-After. Two controls, both additive-increase, multiplicative-decrease:
 * - concurrency: a throttled request (429) halves the requests allowed at once; each success adds
 *   one slot per `limit` successes, back up to `max`;
 * - pacing: the first 429 sets a gap between request starts from the rate of recent successes,
 *   each further 429 widens it, and each success narrows it a little, so the runner settles just
 *   under the API's rate instead of bouncing off it.
 */
export class AdaptiveLimiter {
  private active = 0
  private limit: number
  private readonly waiting: (() => void)[] = []
  /** Milliseconds between request starts; 0 while nothing was throttled. */
  private gap = 0
  private nextStart = 0
  private readonly recentSuccesses: number[] = []
  private stopped = false

  constructor(
    private readonly max: number,
    private readonly now: () => number = Date.now
  ) {
    this.limit = max
  }

  /** Requests allowed at once right now. */
  get concurrency(): number {
    return Math.max(1, Math.floor(this.limit))
  }

  /** Requests per second the pacing allows, or undefined when unpaced. */
  get pace(): number | undefined {
    return this.gap > 0 ? 1000 / this.gap : undefined
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.active >= this.concurrency && !this.stopped) {
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    }
    this.active++
    try {
      const now = this.now()
      const start = Math.max(now, this.nextStart)
      this.nextStart = start + this.gap
      if (start > now && !this.stopped) await sleep(start - now)
      return await task()
    } finally {
      this.active--
      this.wake()
    }
  }

  /** From now on tasks start at once, without waiting for a slot or the pace: for a run that is stopping. */
  stop(): void {
    this.stopped = true
    for (const wake of this.waiting.splice(0)) wake()
  }

  throttled(): void {
    this.limit = Math.max(1, this.limit / 2)
    const rate = this.recentRate()
    this.gap = this.gap > 0 ? this.gap * 1.1 : rate > 0 ? 1000 / rate : 100
    this.nextStart = this.now() + this.gap
  }

  succeeded(): void {
    const now = this.now()
    this.recentSuccesses.push(now)
    if (this.recentSuccesses.length > 200) this.recentSuccesses.shift()
    this.limit = Math.min(this.max, this.limit + 1 / this.limit)
    if (this.gap > 0) this.gap = this.gap * 0.998 < 1 ? 0 : this.gap * 0.998
    this.wake()
  }

  /** Successes per second over the last second (or since the first success, early in a run). */
  private recentRate(): number {
    const now = this.now()
    const recent = this.recentSuccesses.filter((time) => time > now - 1000)
    if (recent.length < 2) return recent.length
    return ((recent.length - 1) * 1000) / Math.max(1, recent[recent.length - 1] - recent[0])
  }

  /** Woken tasks check for room again, so waking one too many is harmless. */
  private wake(): void {
    for (let room = this.concurrency - this.active; room > 0 && this.waiting.length > 0; room--)
      this.waiting.shift()?.()
  }
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return ceiling / 2 + (random() * ceiling) / 2
}
