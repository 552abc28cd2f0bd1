import { InProcessMemory } from '../../src/serve'

describe('InProcessMemory', () => {
  it('claims an event once, remembers a delivery, and forgets a released claim', async () => {
    const memory = new InProcessMemory()
    expect(await memory.claim('a')).toBe('claimed')
    expect(await memory.claim('a')).toBe('in-flight')
    await memory.delivered('a')
    expect(await memory.claim('a')).toBe('delivered')
    expect(await memory.claim('b')).toBe('claimed')
    await memory.release('b')
    expect(await memory.claim('b')).toBe('claimed')
  })

  it('forgets a delivery after its lifetime', async () => {
    let now = 0
    const memory = new InProcessMemory({ ttlMs: 1000, maxEntries: 10 }, () => now)
    await memory.claim('a')
    await memory.delivered('a')
    now = 999
    expect(await memory.claim('a')).toBe('delivered')
    now = 1000
    expect(await memory.claim('a')).toBe('claimed')
  })

  it('keeps at most its size, forgetting the oldest deliveries and never a claim in flight', async () => {
    let now = 0
    const memory = new InProcessMemory({ ttlMs: 60_000, maxEntries: 3 }, () => now++)
    await memory.claim('in-flight')
    for (const key of ['a', 'b', 'c', 'd']) {
      await memory.claim(key)
      await memory.delivered(key)
    }
    expect(memory.size).toBe(3)
    expect(await memory.claim('in-flight')).toBe('in-flight')
    expect(await memory.claim('d')).toBe('delivered')
    expect(await memory.claim('a')).toBe('claimed')
  })
})
