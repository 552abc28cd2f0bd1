import { DeadLetterWriter } from '../../../src/backfill/ledger/dead-letters'
import { Ledger } from '../../../src/backfill/ledger/ledger'
import type { SourceRecord } from '../../../src/backfill/reading'

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
