import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { exportLines } from '../../scripts/sample-export'
import type { SourceRecord } from '../../src/backfill/reading'
import { collect, file, summary } from './reading-fixtures'

const parse = (json: string): unknown => JSON.parse(json)
const events = [...exportLines({ count: 30, seed: 3, otherEvents: true })]
const eventsOf = (records: SourceRecord[]) =>
  records.flatMap((record) => (record.content.kind === 'event' ? [record.content.event] : []))
const prettyArray = JSON.stringify(events.map(parse), null, 2)
const prettyBatch = (batch: string[]) =>
  JSON.stringify({ context: { library: 'x' }, batch: batch.map(parse), writeKey: 'k' }, null, 2)

describe('readRecords: each format, from a file, gzip and stdin', () => {
  const ndjson = `${events.join('\n')}\n`
  const batchLines = `{"batch":[${events.slice(0, 2).join(',')}]}\n\n{"batch":[${events[2]}],"writeKey":"k"}\n`
  const cases: [string, string, (records: SourceRecord[]) => void][] = [
    [
      'NDJSON',
      ndjson,
      (records) => {
        expect(records.map((record) => record.where)).toEqual(events.map((_, i) => `line ${i + 1}`))
        expect(records.map((record) => (record.content.kind === 'event' ? record.content.text : ''))).toEqual(events)
      }
    ],
    [
      'a JSON array over many lines',
      prettyArray,
      (records) => {
        expect(records.map((record) => [record.seq, record.where])).toEqual(
          events.map((_, i) => [i + 1, `element ${i + 1}`])
        )
        expect(records.map((record) => (record.content.kind === 'event' ? record.content.text : ''))).toEqual(
          events.map((line) => JSON.stringify(parse(line)))
        )
      }
    ],
    [
      'batch payloads, one per line',
      batchLines,
      (records) =>
        expect(records.map(summary)).toEqual([
          [0, 1, 'line 1, element 1', events[0]],
          [0, 2, 'line 1, element 2', events[1]],
          [0, 3, 'line 2', '(blank)'],
          [0, 4, 'line 3, element 1', events[2]]
        ])
    ],
    [
      'one pretty-printed batch payload',
      prettyBatch(events.slice(0, 3)),
      (records) => {
        expect(records.map((record) => [record.seq, record.where])).toEqual([
          [1, 'element 1'],
          [2, 'element 2'],
          [3, 'element 3']
        ])
        expect(eventsOf(records)).toEqual(events.slice(0, 3).map(parse))
      }
    ]
  ]

  it.each(cases)('%s', async (_, content, check) => {
    check(await collect([{ path: file(content) }]))
    check(await collect([{ path: file(gzipSync(content), 'in.gz') }]))
    check(await collect([{ path: '-' }], 1 << 20, Readable.from([Buffer.from(content)])))
    check(await collect([{ path: '-' }], 1 << 20, Readable.from([gzipSync(content)])))
  })

  it('yields the same events in the same order from a JSON array export as from its NDJSON', async () => {
    const fromNdjson = eventsOf(await collect([{ path: file(`${events.join('\n')}\n`) }]))
    const fromArray = eventsOf(await collect([{ path: file(JSON.stringify(events.map(parse))) }]))
    expect(fromNdjson).toHaveLength(events.length)
    expect(fromArray).toEqual(fromNdjson)
  })

  it('tells each input its own format', async () => {
    const records = await collect([{ path: file(prettyArray) }, { path: file(`${events[0]}\n`) }])
    expect(records.map(({ input, where }) => [input, where]).slice(-2)).toEqual([
      [0, `element ${events.length}`],
      [1, 'line 1']
    ])
  })
})

describe('readRecords: telling the format', () => {
  it('reads NDJSON whose first line is broken as NDJSON: that line is unreadable, the rest are events', async () => {
    const cut = events[0].slice(0, 120)
    for (const content of [
      `${cut}\n${events[1]}\n${events[2]}\n`,
      `${cut}\n\n${events[1]}\n`,
      `{"a":1,\n${events[1]}\n`
    ]) {
      const records = await collect([{ path: file(content) }])
      expect(records[0]).toMatchObject({ seq: 1, where: 'line 1', content: { kind: 'unreadable' } })
      expect(records.at(-1)).toMatchObject({
        where: `line ${content.split('\n').length - 1}`,
        content: { kind: 'event' }
      })
    }
  })

  it('reads a batch payload whose first line is a whole object but not a batch as NDJSON', async () => {
    const records = await collect([{ path: file(`{"writeKey":"k"}\n{"batch":[${events[0]}]}\n`) }])
    expect(records.map(summary)).toEqual([
      [0, 1, 'line 1', '{"writeKey":"k"}'],
      [0, 2, 'line 2, element 1', events[0]]
    ])
  })

  it('reads an empty input as no records, and whitespace as blank lines', async () => {
    expect(await collect([{ path: file('') }])).toEqual([])
    expect(await collect([{ path: '-' }], 1024, Readable.from([]))).toEqual([])
    expect((await collect([{ path: file(' \n\t\r\n') }])).map(summary)).toEqual([
      [0, 1, 'line 1', '(blank)'],
      [0, 2, 'line 2', '(blank)']
    ])
  })

  it('reads a byte-order mark and whitespace before a JSON array', async () => {
    const records = await collect([{ path: file(`\uFEFF\n  ${prettyArray}`) }])
    expect(records).toHaveLength(events.length)
  })

  it('says clearly when a multi-line object is not a batch payload', async () => {
    const records = await collect([{ path: file(JSON.stringify(parse(events[0]), null, 2)) }])
    expect(records.map(summary)).toEqual([[0, 1, 'the document', expect.stringMatching(/no "batch" key/)]])
  })

  it('reads text that is no JSON at all as NDJSON, each line unreadable', async () => {
    const records = await collect([{ path: file('id,email\n1,a@example.com\n') }])
    expect(records.map(summary)).toEqual([
      [0, 1, 'line 1', expect.stringMatching(/^! not valid JSON/)],
      [0, 2, 'line 2', expect.stringMatching(/^! not valid JSON/)]
    ])
  })
})

describe('readRecords: elements that are not events, and JSON broken midway', () => {
  it('reads an array element that is not an object as an unreadable record saying what it is', async () => {
    const records = await collect([{ path: file(`[${events[0]}, 42, "text", null, [1], ${events[1]}]`) }])
    expect(records.map(summary).map(([, seq, where, what]) => [seq, where, what])).toEqual([
      [1, 'element 1', JSON.stringify(parse(events[0]))],
      [2, 'element 2', '! not a JSON object (a number)'],
      [3, 'element 3', '! not a JSON object (a string)'],
      [4, 'element 4', '! not a JSON object (null)'],
      [5, 'element 5', '! not a JSON object (an array)'],
      [6, 'element 6', JSON.stringify(parse(events[1]))]
    ])
    expect(records[2].content).toMatchObject({ raw: Buffer.from('"text"'), truncated: false })
  })

  it('yields the elements before a syntax error, then one unreadable record, then goes on with the next input', async () => {
    const broken = `[\n${events[0]},\n${events[1]},\n{"type": "track", "event": oops}\n, ${events[2]}]`
    const batch = prettyBatch(events.slice(0, 2)).replace('"writeKey"', '"writeKey" "k", "x"')
    const records = await collect([{ path: file(broken) }, { path: file(batch) }, { path: file(`${events[3]}\n`) }])
    expect(records.map(summary).map(([input, seq, where, what]) => [input, seq, where, what.slice(0, 30)])).toEqual([
      [0, 1, 'element 1', events[0].slice(0, 30)],
      [0, 2, 'element 2', events[1].slice(0, 30)],
      [0, 3, 'element 3', '! the JSON breaks (not valid J'],
      [1, 1, 'element 1', events[0].slice(0, 30)],
      [1, 2, 'element 2', events[1].slice(0, 30)],
      [1, 3, expect.stringMatching(/^byte \d+$/), '! the JSON breaks (unexpected '],
      [2, 1, 'line 1', events[3].slice(0, 30)]
    ])
    const from = broken.indexOf('{"type": "track", "event": oops}')
    expect([from, broken.length - from]).toEqual([1649, 810])
    expect(records[2].content).toMatchObject({
      kind: 'unreadable',
      reason: expect.stringMatching(
        /^the JSON breaks \(not valid JSON \(.*\) at byte 1,649\); the rest of the input, 810 bytes from byte 1,649, is not read \(all kept here\)$/
      ),
      raw: Buffer.from(broken.slice(from)),
      rest: { from, bytes: broken.length - from }
    })
  })

  it('says when a batch payload\'s "batch" is not an array, and when an array is cut off', async () => {
    const notArray = await collect([{ path: file('{\n  "batch": {"type": "track"}\n}') }])
    expect(notArray.map(summary)).toEqual([[0, 1, 'byte 13', expect.stringMatching(/"batch" is not an array/)]])
    const cut = await collect([{ path: file(`[\n${events[0]},\n${events[1].slice(0, 50)}`) }])
    expect(cut.map(({ seq, content }) => [seq, content.kind])).toEqual([
      [1, 'event'],
      [2, 'unreadable']
    ])
  })

  it('unwraps dead-letter lines and dead-letter elements', async () => {
    const letter = (body: object) => JSON.stringify({ deadLetter: { file: 'f', line: 1, reason: 'r' }, ...body })
    const lines = `${letter({ event: { type: 'track', n: 1 } })}\n${letter({ raw: '{"type":"track","n":2}' })}\n${letter({ raw: '{"broken' })}\n`
    expect((await collect([{ path: file(lines) }])).map(summary)).toEqual([
      [0, 1, 'line 1', '{"type":"track","n":1}'],
      [0, 2, 'line 2', '{"type":"track","n":2}'],
      [0, 3, 'line 3', expect.stringMatching(/^! not valid JSON/)]
    ])
    const array = await collect([{ path: file(`[${letter({ event: { type: 'track', n: 3 } })}]`) }])
    expect(array.map(summary)).toEqual([[0, 1, 'element 1', '{"type":"track","n":3}']])
  })
})
