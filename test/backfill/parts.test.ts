import { Batcher } from '../../src/backfill/batcher'
import { MessageIdWindow } from '../../src/backfill/dedup'
import { AdaptiveLimiter, backoffDelay } from '../../src/backfill/limiter'
import { PositionTracker } from '../../src/backfill/positions'
import { parseLine } from '../../src/backfill/records'
import type { SegmentEvent } from '@segment/actions-core'

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
})

describe('Batcher', () => {
  const item = (eventUID: string, bytes = 10) => ({
    event: { type: 'track', properties: { uid: eventUID } } as unknown as SegmentEvent,
    bytes
  })

  it('fills batches by count and by bytes, one per batch-key value', () => {
    const batcher = new Batcher({ eventUID: { '@path': '$.properties.uid' } }, ['eventUID'], { size: 2, bytes: 25 })
    expect(batcher.add(item('a'))).toBeUndefined()
    expect(batcher.add(item('b'))).toBeUndefined()
    expect(batcher.add(item('a'))).toHaveLength(2)
    expect(batcher.add(item('b', 20))).toHaveLength(1) // 10 + 20 bytes would pass 25
    expect(batcher.buffered).toBe(1)
    expect(batcher.drain()).toEqual([[item('b', 20)]])
  })

  it('does not evaluate a literal batch key', () => {
    const batcher = new Batcher({ eventUID: 'fixed' }, ['eventUID'], { size: 3, bytes: 1000 })
    batcher.add(item('a'))
    batcher.add(item('b'))
    expect(batcher.add(item('c'))).toHaveLength(3)
  })

  it('drains only batches older than asked', () => {
    let now = 0
    const batcher = new Batcher({}, [], { size: 10, bytes: 1000 }, () => now)
    batcher.add(item('a'))
    now = 500
    expect(batcher.drain(1000)).toEqual([])
    now = 1000
    expect(batcher.drain(1000)).toHaveLength(1)
  })
})

describe('AdaptiveLimiter', () => {
  it('never runs more than its limit, halves on throttling and climbs back on success', async () => {
    const limiter = new AdaptiveLimiter(4, 0)
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

  it('backs off exponentially with jitter, within the cap', () => {
    expect(backoffDelay(1, 100, 10_000, () => 0)).toBe(50)
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(400)
    expect(backoffDelay(20, 100, 1000, () => 1)).toBe(1000)
  })
})
