import { Batcher } from '../../src/instance/dispatch/batcher'
import { MessageIdWindow } from '../../src/backfill/ledger/dedup'
import { DeadLetterWriter } from '../../src/backfill/ledger/dead-letters'
import { Ledger } from '../../src/backfill/ledger/ledger'
import { AdaptiveLimiter } from '../../src/instance/dispatch/limiter'
import type { SourceRecord } from '../../src/backfill/reading'
import { backoffDelay } from '../../src/instance/dispatch/retry'

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

describe('Ledger', () => {
  const record = (seq: number): SourceRecord => ({
    input: 0,
    seq,
    where: `line ${seq}`,
    content: { kind: 'event', event: { type: 'track' }, text: '{"type":"track"}' }
  })
  const ledgerOf = (names = ['a', 'b']) =>
    new Ledger(names, ['in.ndjson'], new DeadLetterWriter('/nonexistent/dl', 'run', () => undefined))

  it('moves the watermark over finished records only, and lists those finished beyond it', () => {
    const ledger = ledgerOf(['a'])
    const [t1, t2, t3, t4] = [1, 2, 3, 4].map((seq) => ledger.open(record(seq)))
    for (const ticket of [t1, t2, t3, t4]) ledger.route(ticket, 1)
    expect(ledger.pending).toBe(4)
    ledger.accepted(t2, 0, 0)
    ledger.accepted(t4, 0, 0)
    expect(ledger.snapshot()).toMatchObject({
      watermark: null,
      finishedAfter: [
        [0, 2],
        [0, 4]
      ],
      inFlight: 2
    })
    ledger.accepted(t1, 0, 0)
    expect(ledger.snapshot()).toMatchObject({ watermark: { input: 0, seq: 2 }, finishedAfter: [[0, 4]] })
    ledger.accepted(t3, 0, 0)
    ledger.accepted(t3, 0, 0)
    expect(ledger.snapshot()).toMatchObject({ watermark: { seq: 4 }, finishedAfter: [], inFlight: 0 })
    expect(ledger.counts.subscriptions.a.accepted).toBe(4)
  })

  it('finishes an event when every subscription it matched is done, and lists it as partly finished before', () => {
    const ledger = ledgerOf()
    const ticket = ledger.open(record(1))
    expect(ledger.route(ticket, 0b11)).toBe(0b11)
    ledger.accepted(ticket, 1, 1)
    expect(ledger.snapshot()).toMatchObject({ watermark: null, partlyFinished: [[0, 1, ['b']]], inFlight: 1 })
    ledger.accepted(ticket, 0, 0)
    expect(ledger.snapshot()).toMatchObject({ watermark: { seq: 1 }, partlyFinished: [], inFlight: 0 })
    expect(ledger.counts).toMatchObject({
      read: 1,
      subscriptions: { a: { accepted: 1, warnings: 0 }, b: { accepted: 1, warnings: 1 } }
    })
  })

  it('counts an event no subscription matched, and one a resume finds partly finished sends only to the rest', () => {
    const ledger = ledgerOf()
    const unmatched = ledger.open(record(1))
    expect(ledger.route(unmatched, 0)).toBe(0)
    const resumed = ledger.open(record(2))
    expect(ledger.route(resumed, 0b11, ledger.maskOf(['a']))).toBe(0b10)
    ledger.accepted(resumed, 1, 0)
    expect(ledger.counts).toMatchObject({
      read: 2,
      unmatched: 1,
      subscriptions: { a: { accepted: 0, filtered: 1 }, b: { accepted: 1, filtered: 1 } }
    })
    expect(ledger.pending).toBe(0)
  })

  it('keeps its tickets valid as it drops finished records', () => {
    const ledger = ledgerOf(['a'])
    const tickets = Array.from({ length: 10_000 }, (_, i) => ledger.open(record(i + 1)))
    for (const ticket of tickets) ledger.route(ticket, 1)
    for (const ticket of tickets.slice(0, 9000)) ledger.accepted(ticket, 0, 0)
    ledger.accepted(tickets[9999], 0, 0)
    expect(ledger.snapshot()).toMatchObject({ watermark: { seq: 9000 }, finishedAfter: [[0, 10_000]], inFlight: 999 })
    for (const ticket of tickets.slice(9000)) ledger.accepted(ticket, 0, 0)
    expect(ledger.snapshot().watermark?.seq).toBe(10_000)
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
