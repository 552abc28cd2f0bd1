/** What a claim found: send the event, it was delivered before, or another request is sending it right now. */
export type Claim = 'claimed' | 'delivered' | 'in-flight'

/**
 * The relay's memory of delivered events, by subscription and messageId, so that a CDP's retry of a request
 * sends only what was not delivered. An event is claimed before it is sent, so that two requests holding it
 * (a retry that overtook its original) never send it twice.
 */
export interface DeliveryMemory {
  /** Whether it can be reached now: without it, nothing is sent. */
  ready(): boolean
  claim(key: string): Promise<Claim>
  /** The claimed event was delivered: remember it (for the memory's lifetime). */
  delivered(key: string): Promise<void>
  /** The claimed event was not delivered (rejected, or a retry may cure it): forget the claim. */
  release(key: string): Promise<void>
  close(): Promise<void>
}

export interface MemoryLimits {
  /** How long a delivery is remembered: a CDP's retries end well within it (Segment's, 4 hours). */
  ttlMs: number
  /** Deliveries remembered at the most; the oldest are forgotten first. */
  maxEntries: number
}

export const DEFAULT_MEMORY_LIMITS: MemoryLimits = { ttlMs: 24 * 60 * 60 * 1000, maxEntries: 1_000_000 }

const IN_FLIGHT = 'in-flight'

/** The memory of one relay process: the default, when one instance serves the CDP. */
export class InProcessMemory implements DeliveryMemory {
  /** Key -> when it was delivered, or IN_FLIGHT; in the order of their last change, oldest first. */
  private readonly entries = new Map<string, number | typeof IN_FLIGHT>()

  constructor(
    private readonly limits: MemoryLimits = DEFAULT_MEMORY_LIMITS,
    private readonly now: () => number = Date.now
  ) {}

  get size(): number {
    return this.entries.size
  }

  ready(): boolean {
    return true
  }

  claim(key: string): Promise<Claim> {
    const at = this.entries.get(key)
    if (at === IN_FLIGHT) return Promise.resolve('in-flight')
    if (at !== undefined && this.now() - at < this.limits.ttlMs) return Promise.resolve('delivered')
    this.set(key, IN_FLIGHT)
    return Promise.resolve('claimed')
  }

  delivered(key: string): Promise<void> {
    this.set(key, this.now())
    return Promise.resolve()
  }

  release(key: string): Promise<void> {
    if (this.entries.get(key) === IN_FLIGHT) this.entries.delete(key)
    return Promise.resolve()
  }

  close(): Promise<void> {
    this.entries.clear()
    return Promise.resolve()
  }

  private set(key: string, at: number | typeof IN_FLIGHT): void {
    this.entries.delete(key)
    this.entries.set(key, at)
    this.forgetOldest()
  }

  /** Drops expired deliveries and, past the size limit, the oldest ones; claims in flight are kept. */
  private forgetOldest(): void {
    const expired = this.now() - this.limits.ttlMs
    for (const [key, at] of this.entries) {
      const over = this.entries.size > this.limits.maxEntries
      if (at === IN_FLIGHT) {
        if (!over) break
        continue
      }
      if (!over && at > expired) break
      this.entries.delete(key)
    }
  }
}
