import { AdaptiveLimiter } from '../../../src/instance/dispatch/limiter'

describe('AdaptiveLimiter', () => {
  it('never runs more than its limit, halves on throttling and climbs back on success', async () => {
    const limiter = new AdaptiveLimiter(4)
    let running = 0
    let most = 0
    const task = async () => {
      running++
      most = Math.max(most, running)
      await new Promise((resolve) => setTimeout(resolve, 5))
      running--
    }
    await Promise.all(Array.from({ length: 20 }, () => limiter.run(task)))
    expect(most).toBe(4)
    limiter.throttled()
    expect(limiter.concurrency).toBe(2)
    limiter.throttled()
    limiter.throttled()
    expect(limiter.concurrency).toBe(1)
    for (let i = 0; i < 20; i++) limiter.succeeded()
    expect(limiter.concurrency).toBe(4)
  })

  it('lets waiting tasks through at once when stopped', async () => {
    const limiter = new AdaptiveLimiter(1)
    let release: () => void = () => undefined
    const first = limiter.run(() => new Promise<void>((resolve) => (release = resolve)))
    let ran = false
    const second = limiter.run(() => Promise.resolve((ran = true)))
    await new Promise((resolve) => setImmediate(resolve))
    expect(ran).toBe(false)
    limiter.stop()
    await second
    expect(ran).toBe(true)
    release()
    await first
  })

  it('paces starts after a 429 from the rate of recent successes, then loosens the pace with successes', () => {
    let now = 0
    const limiter = new AdaptiveLimiter(4, () => now)
    for (let i = 0; i < 10; i++) {
      now += 100
      limiter.succeeded()
    }
    expect(limiter.pace).toBeUndefined()
    limiter.throttled()
    expect(limiter.pace).toBeCloseTo(10, 5) // one success every 100 ms
    limiter.throttled()
    expect(limiter.pace).toBeCloseTo(10 / 1.1, 5)
    for (let i = 0; i < 50; i++) limiter.succeeded()
    expect(limiter.pace).toBeGreaterThan(10 / 1.1)
  })

  it('sets no pace from a 429 before a rate is known, and paces from the rate measured at the next one', () => {
    let now = 0
    const limiter = new AdaptiveLimiter(4, () => now)
    limiter.succeeded() // one success: no rate yet
    limiter.throttled()
    expect(limiter.pace).toBeUndefined()
    expect(limiter.concurrency).toBe(2)
    for (let i = 0; i < 10; i++) {
      now += 50
      limiter.succeeded()
    }
    limiter.throttled()
    expect(limiter.pace).toBeCloseTo(20, 5) // one success every 50 ms
  })
})
