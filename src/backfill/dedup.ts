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
    const hi = hash(id, 0x811c9dc5, 0x01000193)
    const lo = hash(id, 0x9747b28c, 0x5bd1e995) || 1 // lo = 0 marks an empty slot
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

function hash(text: string, seed: number, prime: number): number {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, prime) >>> 0
  }
  // A final avalanche so that the two seeds give independent-looking halves.
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  return h >>> 0
}

class HashTable {
  size = 0
  private readonly his: Uint32Array
  private readonly los: Uint32Array
  private readonly mask: number

  constructor(capacity: number) {
    const slots = 1 << Math.ceil(Math.log2(capacity * 2)) // load factor at most 1/2
    // Filled at once, so every page is resident from the start rather than as ids arrive.
    this.his = new Uint32Array(slots).fill(0)
    this.los = new Uint32Array(slots).fill(0)
    this.mask = slots - 1
  }

  get bytes(): number {
    return this.his.byteLength + this.los.byteLength
  }

  has(hi: number, lo: number): boolean {
    for (let slot = (hi ^ lo) & this.mask; ; slot = (slot + 1) & this.mask) {
      if (this.los[slot] === 0) return false
      if (this.his[slot] === hi && this.los[slot] === lo) return true
    }
  }

  add(hi: number, lo: number): void {
    let slot = (hi ^ lo) & this.mask
    while (this.los[slot] !== 0) slot = (slot + 1) & this.mask
    this.his[slot] = hi
    this.los[slot] = lo
    this.size++
  }

  clear(): void {
    this.his.fill(0)
    this.los.fill(0)
    this.size = 0
  }
}
