import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Bounded concurrency that adapts to the API, additive increase and multiplicative decrease:
 * a throttled request (429) halves the number of requests allowed at once and pauses new starts
 * for a while that doubles with each throttling in a row; a success adds one slot per `limit`
 * successes, climbing back to `max`. Listrak sends no Retry-After, so this is how the runner finds
 * the rate the API will take.
 */
export class AdaptiveLimiter {
  private active = 0
  private limit: number
  private readonly waiting: (() => void)[] = []
  private pausedUntil = 0
  private throttledInARow = 0

  constructor(
    private readonly max: number,
    private readonly pauseMs = 250,
    private readonly maxPauseMs = 10_000
  ) {
    this.limit = max
  }

  /** Requests allowed at once right now. */
  get concurrency(): number {
    return Math.max(1, Math.floor(this.limit))
  }

  get running(): number {
    return this.active
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.active++
    try {
      const wait = this.pausedUntil - Date.now()
      if (wait > 0) await sleep(wait)
      return await task()
    } finally {
      this.active--
      this.wake()
    }
  }

  throttled(): void {
    this.limit = Math.max(1, this.limit / 2)
    this.throttledInARow++
    const pause = Math.min(this.maxPauseMs, this.pauseMs * 2 ** (this.throttledInARow - 1))
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + pause)
  }

  succeeded(): void {
    this.throttledInARow = 0
    this.limit = Math.min(this.max, this.limit + 1 / this.limit)
    this.wake()
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
