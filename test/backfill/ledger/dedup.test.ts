import { MessageIdWindow } from '../../../src/backfill/ledger/dedup'

describe('MessageIdWindow', () => {
  it('finds repeats, forgets the oldest generation, and keeps its memory fixed', () => {
    const window = new MessageIdWindow(4)
    expect(['a', 'b', 'a', 'c', 'b'].map((id) => window.seen(id))).toEqual([false, false, true, false, true])
    const bytes = window.bytes
    for (let i = 0; i < 8; i++) window.seen(`id-${i}`)
    expect(window.seen('a')).toBe(false) // two generations later
    expect(window.bytes).toBe(bytes)
  })

  it('tells 100,000 distinct ids apart', () => {
    const window = new MessageIdWindow(1 << 17)
    let repeats = 0
    for (let i = 0; i < 100_000; i++) if (window.seen(`msg-${i}-${(i * 7919) % 1000}`)) repeats++
    expect(repeats).toBe(0)
  })
})
