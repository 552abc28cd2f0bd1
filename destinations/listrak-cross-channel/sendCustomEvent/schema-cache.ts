/**
 * A small time-bounded cache of promises: concurrent callers asking for the same key while it is
 * being fetched share one request, and a failed fetch is forgotten at once so the next call retries.
 * At most `maxEntries` are kept: a new key beyond that evicts the oldest.
 */
export class ExpiringCache<T> {
  private readonly entries = new Map<string, { expiresAt: number; value: Promise<T> }>()

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1000,
    private readonly now: () => number = Date.now
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key)
    if (entry && entry.expiresAt > this.now()) return entry.value
    const value = load()
    // Re-inserted keys go last, so the Map's first key is always the oldest entry.
    this.entries.delete(key)
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string)
    this.entries.set(key, { expiresAt: this.now() + this.ttlMs, value })
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key)
    })
    return value
  }
}
