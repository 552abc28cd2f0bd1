/**
 * Remembers recent messageIds in fixed memory, to send an event that an export repeats only once.
 *
 * Each id is kept as a 64-bit hash (two 32-bit FNV-1a-style hashes with different seeds and primes)
 * in an open-addressing table of typed arrays. Two generations of `generationSize` ids rotate: when
 * the current one fills, the older is dropped. Duplicates are therefore found among the last
 * `generationSize` to `2 × generationSize` ids (by default 256 Ki to 512 Ki); memory is 2 tables ×
 * 2 × generationSize slots × 8 bytes (8 MB by default), allocated and touched once, so that it
 * does not grow with the export.
 * With 64 bits, two different ids share a hash with odds of about n²/2⁶⁵ (3 in 100 million for a
 * million ids).
 */
export class MessageIdWindow {
  private current: HashTable
  private previous: HashTable

  constructor(private readonly generationSize = 1 << 18) {
    this.current = new HashTable(generationSize)
    this.previous = new HashTable(generationSize)
  }

  /** True when the id was seen recently; otherwise remembers it and returns false. */
  seen(id: string): boolean {
    hashPair(id)
    const [hi] = pair
    const lo = pair[1] || 1 // lo = 0 marks an empty slot
    if (this.current.has(hi, lo) || this.previous.has(hi, lo)) return true
    if (this.current.size >= this.generationSize) {
      const recycled = this.previous
      recycled.clear()
      this.previous = this.current
      this.current = recycled
    }
    this.current.add(hi, lo)
    return false
  }

  /** Bytes held by the two tables. */
  get bytes(): number {
    return 2 * this.current.bytes
  }
}

/** The last hashPair: [hi, lo]. One array for every call, so that hashing allocates nothing. */
const pair = new Uint32Array(2)

/** Both halves in one pass over the text: two FNV-1a-style hashes with different seeds and primes. */
function hashPair(text: string): void {
  let hi = 0x811c9dc5
  let lo = 0x9747b28c
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    hi = Math.imul(hi ^ code, 0x01000193) >>> 0
    lo = Math.imul(lo ^ code, 0x5bd1e995) >>> 0
  }
  pair[0] = avalanche(hi)
  pair[1] = avalanche(lo)
}

/** A final avalanche so that the two seeds give independent-looking halves. */
function avalanche(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  return h >>> 0
}

/** Slot i is entries[2i] (hi) and entries[2i + 1] (lo): a probe reads one cache line, not two. */
class HashTable {
  size = 0
  private readonly entries: Uint32Array
  private readonly mask: number

  constructor(capacity: number) {
    const slots = 1 << Math.ceil(Math.log2(capacity * 2)) // load factor at most 1/2
    // Filled at once, so every page is resident from the start rather than as ids arrive.
    this.entries = new Uint32Array(2 * slots).fill(0)
    this.mask = slots - 1
  }

  get bytes(): number {
    return this.entries.byteLength
  }

  has(hi: number, lo: number): boolean {
    const { entries, mask } = this
    for (let slot = (hi ^ lo) & mask; ; slot = (slot + 1) & mask) {
      const stored = entries[2 * slot + 1]
      if (stored === 0) return false
      if (stored === lo && entries[2 * slot] === hi) return true
    }
  }

  add(hi: number, lo: number): void {
    const { entries, mask } = this
    let slot = (hi ^ lo) & mask
    while (entries[2 * slot + 1] !== 0) slot = (slot + 1) & mask
    entries[2 * slot] = hi
    entries[2 * slot + 1] = lo
    this.size++
  }

  clear(): void {
    this.entries.fill(0)
    this.size = 0
  }
}
