import { Batcher } from '../../src/backfill/batcher'
import { MessageIdWindow } from '../../src/backfill/dedup'
import { AdaptiveLimiter, backoffDelay } from '../../src/backfill/limiter'
import { PositionTracker } from '../../src/backfill/positions'
import { parseLine } from '../../src/backfill/records'

describe('parseLine', () => {
  it('reads events, blank lines and malformed lines', () => {
    expect(parseLine('  ')).toEqual({ kind: 'blank' })
    expect(parseLine('{"type":"track"}')).toEqual({ kind: 'event', event: { type: 'track' } })
    expect(parseLine('{"type":')).toMatchObject({
      kind: 'malformed',
      reason: expect.stringMatching(/^not valid JSON/),
      raw: '{"type":'
    })
    expect(parseLine('[1,2]')).toMatchObject({ kind: 'malformed', reason: 'not a JSON object' })
    expect(parseLine('42')).toMatchObject({ kind: 'malformed', reason: 'not a JSON object' })
  })

  it('reads a dead letter as the event it carries, and re-parses a dead raw line', () => {
    const deadLetter = { file: 'a', line: 1, status: 400, reason: 'x', at: 'now' }
    expect(parseLine(JSON.stringify({ event: { type: 'track' }, deadLetter }))).toEqual({
      kind: 'event',
      event: { type: 'track' }
    })
    expect(parseLine(JSON.stringify({ raw: '{"type":"page"}', deadLetter }))).toEqual({
      kind: 'event',
      event: { type: 'page' }
    })
    expect(parseLine(JSON.stringify({ raw: '{"type":', deadLetter }))).toMatchObject({ kind: 'malformed' })
  })
})

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

describe('PositionTracker', () => {
  it('moves the watermark over finished lines only, and lists those finished beyond it', () => {
    const tracker = new PositionTracker()
    const [a, b, c, d] = [1, 2, 3, 4].map((line) => tracker.read({ input: 0, line, end: line * 10 }))
    expect(tracker.pending).toBe(4)
    tracker.finish(b)
    tracker.finish(d)
    expect(tracker.snapshot()).toEqual({
      watermark: undefined,
      finishedAfter: [
        [0, 2],
        [0, 4]
      ],
      inFlight: 2
    })
    tracker.finish(a)
    expect(tracker.snapshot()).toEqual({
      watermark: { input: 0, line: 2, end: 20 },
      finishedAfter: [[0, 4]],
      inFlight: 1
    })
    tracker.finish(c)
    tracker.finish(c)
    expect(tracker.snapshot()).toEqual({ watermark: { input: 0, line: 4, end: 40 }, finishedAfter: [], inFlight: 0 })
  })

  it('keeps its tickets valid as it drops finished lines', () => {
    const tracker = new PositionTracker()
    const tickets = Array.from({ length: 10_000 }, (_, i) => tracker.read({ input: 0, line: i + 1, end: i }))
    for (const ticket of tickets.slice(0, 9000)) tracker.finish(ticket)
    tracker.finish(tickets[9999])
    expect(tracker.snapshot()).toEqual({
      watermark: { input: 0, line: 9000, end: 8999 },
      finishedAfter: [[0, 10_000]],
      inFlight: 999
    })
    for (const ticket of tickets.slice(9000)) tracker.finish(ticket)
    expect(tracker.snapshot().watermark?.line).toBe(10_000)
  })
})

describe('Batcher', () => {
  const item = (key: string, bytes = 10) => ({ key, bytes })

  it('fills batches by count and by bytes, one per key', () => {
    const batcher = new Batcher<{ key: string; bytes: number }>({ size: 2, bytes: 25 }, (i) => i.key)
    expect(batcher.add(item('a'))).toBeUndefined()
    expect(batcher.add(item('b'))).toBeUndefined()
    expect(batcher.add(item('a'))).toHaveLength(2)
    expect(batcher.add(item('b', 20))).toHaveLength(1) // 10 + 20 bytes would pass 25
    expect(batcher.drain()).toEqual([[item('b', 20)]])
  })

  it('drains only batches older than asked', () => {
    let now = 0
    const batcher = new Batcher(
      { size: 10, bytes: 1000 },
      () => '',
      () => now
    )
    batcher.add(item('a'))
    now = 500
    expect(batcher.drain(1000)).toEqual([])
    now = 1000
    expect(batcher.drain(1000)).toHaveLength(1)
  })
})

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

  it('backs off exponentially with jitter, within the cap', () => {
    expect(backoffDelay(1, 100, 10_000, () => 0)).toBe(50)
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(400)
    expect(backoffDelay(20, 100, 1000, () => 1)).toBe(1000)
  })
})
