/**
 * A leaky bucket, as Listrak limits requests: every request pours one unit in, the bucket drains
 * at `requestsPerSecond`, and a request that would overflow `burst` is refused.
 */
export class LeakyBucket {
  private level = 0
  private last: number

  constructor(
    private readonly requestsPerSecond: number,
    private readonly burst: number,
    private readonly now: () => number
  ) {
    this.last = now()
  }

  tryTake(): boolean {
    const now = this.now()
    this.level = Math.max(0, this.level - ((now - this.last) / 1000) * this.requestsPerSecond)
    this.last = now
    if (this.level + 1 > this.burst) return false
    this.level += 1
    return true
  }
}
