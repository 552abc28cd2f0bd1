export interface BatchLimits {
  size: number
  bytes: number
}

/**
 * Groups items into batches of at most `size` items and `bytes` bytes, one open batch per key (for
 * an action's `batch_keys`, such as Listrak's eventUID), as a CDP's pipeline does before calling
 * `performBatch`.
 */
export class Batcher<T extends { bytes: number }> {
  private readonly batches = new Map<string, { items: T[]; bytes: number; since: number }>()

  constructor(
    private readonly limits: BatchLimits,
    private readonly keyOf: (item: T) => string = () => '',
    private readonly now: () => number = Date.now
  ) {}

  /** Batches open, waiting to be filled. */
  get open(): number {
    return this.batches.size
  }

  /** Adds an item; returns the batch it completed, if any. */
  add(item: T): T[] | undefined {
    const key = this.keyOf(item)
    let batch = this.batches.get(key)
    if (batch && batch.bytes + item.bytes > this.limits.bytes) {
      this.batches.set(key, { items: [item], bytes: item.bytes, since: this.now() })
      return batch.items
    }
    if (!batch) {
      batch = { items: [], bytes: 0, since: this.now() }
      this.batches.set(key, batch)
    }
    batch.items.push(item)
    batch.bytes += item.bytes
    if (batch.items.length >= this.limits.size) {
      this.batches.delete(key)
      return batch.items
    }
    return undefined
  }

  /** Takes the batches opened at least `olderThanMs` ago (all of them with 0). */
  drain(olderThanMs = 0): T[][] {
    const cutoff = this.now() - olderThanMs
    const drained: T[][] = []
    for (const [key, batch] of this.batches) {
      if (batch.since > cutoff) continue
      this.batches.delete(key)
      drained.push(batch.items)
    }
    return drained
  }
}
