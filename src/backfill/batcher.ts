import { isDirective, transform } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'

type MappingInput = Parameters<typeof transform>[1]

export interface BatchLimits {
  size: number
  bytes: number
}

/**
 * Groups items into batches by the values of the action's `batch_keys` (for Listrak, the
 * eventUID), as a CDP's pipeline does before calling `performBatch`. A key whose mapping is a
 * literal is the same for every event; only keys mapped with directives are evaluated, with
 * actions-core's own mapping kit.
 */
export class Batcher<T extends { event: SegmentEvent; bytes: number }> {
  private readonly open = new Map<string, { items: T[]; bytes: number; since: number }>()
  private readonly keyMapping: JSONObject | undefined

  constructor(
    mapping: JSONObject,
    batchKeys: readonly string[],
    private readonly limits: BatchLimits,
    private readonly now: () => number = Date.now
  ) {
    const directives = batchKeys.filter((key) => key in mapping && isDirective(mapping[key]))
    this.keyMapping =
      directives.length > 0 ? Object.fromEntries(directives.map((key) => [key, mapping[key]])) : undefined
  }

  /** Adds an item; returns the batch it completed, if any. */
  add(item: T): T[] | undefined {
    const key = this.keyMapping ? JSON.stringify(transform(this.keyMapping, item.event as unknown as MappingInput)) : ''
    let batch = this.open.get(key)
    if (batch && batch.bytes + item.bytes > this.limits.bytes) {
      this.open.delete(key)
      const full = batch.items
      this.open.set(key, { items: [item], bytes: item.bytes, since: this.now() })
      return full
    }
    if (!batch) {
      batch = { items: [], bytes: 0, since: this.now() }
      this.open.set(key, batch)
    }
    batch.items.push(item)
    batch.bytes += item.bytes
    if (batch.items.length >= this.limits.size) {
      this.open.delete(key)
      return batch.items
    }
    return undefined
  }

  /** Takes the batches opened at least `olderThanMs` ago (all of them with 0). */
  drain(olderThanMs = 0): T[][] {
    const cutoff = this.now() - olderThanMs
    const drained: T[][] = []
    for (const [key, batch] of this.open) {
      if (batch.since > cutoff) continue
      this.open.delete(key)
      drained.push(batch.items)
    }
    return drained
  }

  get buffered(): number {
    let count = 0
    for (const batch of this.open.values()) count += batch.items.length
    return count
  }
}
