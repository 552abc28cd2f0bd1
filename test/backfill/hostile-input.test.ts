import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { ConfigError, parseInstanceFile } from '../../src/instance'
import { readRecords } from '../../src/backfill/reading'
import type { SourceRecord } from '../../src/backfill/reading'
import { UNREADABLE_PREFIX_BYTES } from '../../src/backfill/reading/ndjson'
import { coerceDataFields, coerceValue } from '../../destinations/listrak-cross-channel/sendCustomEvent/coerce'
import { normalizeIdentifiers } from '../../destinations/listrak-cross-channel/sendCustomEvent/identifiers'
import type { AttributeType } from '../../destinations/listrak-cross-channel/sendCustomEvent/contract'
import { startSimulator } from '../../src/simulator'
import { backfillOptions, readDeadLetters, runBackfill, workDir } from './fixtures'

const dir = mkdtempSync(path.join(tmpdir(), 'hostile-'))
let files = 0

async function recordsOf(content: Buffer, maxLineBytes = 1024): Promise<SourceRecord[]> {
  const file = path.join(dir, `input-${files++}.ndjson`)
  writeFileSync(file, content)
  const records: SourceRecord[] = []
  for await (const chunk of readRecords([{ path: file }], { maxLineBytes })) records.push(...chunk)
  return records
}

/** The line a record of an NDJSON input comes from; undefined for the elements of a JSON document. */
const lineOf = (record: SourceRecord): number | undefined => {
  const match = /^line (\d+)/.exec(record.where)
  return match ? Number(match[1]) : undefined
}

describe('the reader on any bytes', () => {
  it('never crashes, numbers records from 1, accounts for every line of NDJSON and ends each where the file does', async () => {
    const bytes = fc
      .tuple(
        fc.constantFrom('', '', '', '[', '{', '{"batch":[', ' \n{'),
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.constantFrom(0x0a, 0x0d, 0xef, 0xbb, 0xbf, 0xff, 0x7b, 0x22), { maxLength: 200 })
      )
      // A JSON start now and then, then noise mixed with newlines, CRs and BOM bytes, so every case turns up.
      .map(([start, noise, extra]) => Buffer.concat([Buffer.from(start), Buffer.from(noise), Buffer.from(extra)]))
    await fc.assert(
      fc.asyncProperty(bytes, fc.integer({ min: 16, max: 4096 }), async (content, maxLineBytes) => {
        const records = await recordsOf(content, maxLineBytes)
        expect(records.map((record) => record.seq)).toEqual(Array.from({ length: records.length }, (_, i) => i + 1))
        const lines = records.map(lineOf)
        if (lines.some((line) => line === undefined)) return // read as one JSON document: its elements
        const segments = content.toString('latin1').split('\n')
        const expected = segments.at(-1) === '' ? segments.length - 1 : segments.length
        expect([...new Set(lines)]).toEqual(Array.from({ length: expected }, (_, i) => i + 1))
        for (const { content: read } of records) {
          if (read.kind === 'unreadable')
            expect(read.raw.length).toBeLessThanOrEqual(read.truncated ? UNREADABLE_PREFIX_BYTES : maxLineBytes)
          if (read.kind === 'event') expect(Buffer.byteLength(read.text)).toBeLessThanOrEqual(maxLineBytes)
        }
      }),
      { numRuns: 500 }
    )
  })

  it('reads a 10 MB line as one unreadable record, holding a prefix of it, and goes on', async () => {
    const records = await recordsOf(
      Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.alloc(10 * 1024 * 1024, 0x78), Buffer.from('\n{"b":2}\n')]),
      1 << 20
    )
    expect(records.map(({ seq, where, content }) => ({ seq, where, kind: content.kind }))).toEqual([
      { seq: 1, where: 'line 1', kind: 'event' },
      { seq: 2, where: 'line 2', kind: 'unreadable' },
      { seq: 3, where: 'line 3', kind: 'event' }
    ])
    expect(records[1].content).toEqual({
      kind: 'unreadable',
      reason: 'line is longer than 1048576 bytes',
      raw: Buffer.from('x'.repeat(200)),
      truncated: true
    })
  })
})

describe('the backfill on a hostile export (test/fixtures/hostile.ndjson)', () => {
  it('reads every line, sends the good events, dead-letters the rest by line, and pollutes no prototype', async () => {
    const simulator = await startSimulator()
    try {
      const work = workDir()
      const fixture = path.join(__dirname, '..', 'fixtures', 'hostile.ndjson')
      const report = await runBackfill(backfillOptions(simulator, work, [fixture]))
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined()
      expect(report.outcome).toBe('completed')
      const { read, blankLines, unreadable, duplicates, unmatched, subscriptions } = report.counts
      expect({ read, blankLines }).toEqual({ read: 12, blankLines: 2 })
      expect(read).toBe(
        unreadable + duplicates + unmatched + subscriptions.Orders.accepted + subscriptions.Orders.rejected
      )

      const arrived = simulator.state.journal.map((entry) => entry.dataFields.orderId).sort()
      expect(arrived).toEqual(['BIG', 'BOM', 'CRLF', 'DEEP', 'LAST', 'PROTO', 'ROOTPROTO'].sort())
      expect(simulator.state.journal.find((entry) => entry.dataFields.orderId === 'BIG')?.dataFields.orderTotal).toBe(
        '1.2345678901234568e+29'
      )

      const letters = readDeadLetters(path.join(work, 'dead-letters.ndjson'))
      expect(letters.map((letter) => letter.deadLetter.seq).sort((a, b) => a - b)).toEqual([5, 7, 11, 12, 13])
      const reasons = new Map(letters.map((letter) => [letter.deadLetter.seq, letter.deadLetter.reason]))
      expect(reasons.get(5)).toMatch(/line 5 of .*not valid UTF-8/)
      expect(reasons.get(7)).toMatch(/dataFields\.itemCount \(Int\) .*beyond the range of exact integers/)
      expect(reasons.get(11)).toMatch(/not valid JSON/)
      expect(reasons.get(12)).toMatch(/not a JSON object/)
    } finally {
      await simulator.close()
    }
  })
})

const TYPES: AttributeType[] = ['String', 'Int', 'Double', 'Date']
const ISO_UTC = /^[+-]?\d{4,6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe('coercion, for any value', () => {
  it('gives a valid value of the type or a reason, never an exception, never a changed value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPES),
        fc.oneof(
          fc.anything(),
          fc.double(),
          fc.integer(),
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
        ),
        (type, value) => {
          const result = coerceValue(type, value)
          if (!result.ok) {
            expect(result.reason).toMatch(/\w/)
            return
          }
          expect(typeof result.value).toBe('string')
          if (type === 'String' && typeof value === 'string') expect(result.value).toBe(value)
          if (type === 'Int') {
            expect(result.value).toMatch(/^-?\d+$/)
            expect(Number(result.value) === Number(typeof value === 'string' ? value.trim() : value)).toBe(true)
          }
          // == rather than Object.is: -0 goes as "0", the same number to Listrak.
          if (type === 'Double')
            expect(Number(result.value) === Number(typeof value === 'string' ? value.trim() : value)).toBe(true)
          if (type === 'Date') expect(result.value).toMatch(ISO_UTC)
        }
      ),
      { numRuns: 3000 }
    )
  })

  it('names the field and its type whenever a value is refused', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.anything()),
        fc.dictionary(fc.string(), fc.constantFrom(...TYPES)),
        (dataFields, schema) => {
          const result = coerceDataFields(dataFields, schema)
          if (!result.ok)
            expect(result.message).toMatch(/^dataFields\..* \((String|Int|Double|Date)\) cannot take the value /)
          else for (const value of Object.values(result.dataFields)) expect(typeof value).toBe('string')
        }
      ),
      { numRuns: 1000 }
    )
  })
})

describe('identifier normalisation, for any input', () => {
  it('gives normalised identifiers or a reason, never an exception', () => {
    const maybe = fc.option(fc.oneof(fc.string(), fc.emailAddress(), fc.stringMatching(/^\+?[\d ()-]{0,20}$/)), {
      nil: undefined
    })
    fc.assert(
      fc.property(fc.record({ emailAddress: maybe, phoneNumber: maybe, mobileContactUid: maybe }), (input) => {
        const result = normalizeIdentifiers(input)
        if (!result.ok) {
          expect(result.message).toMatch(/emailAddress|phoneNumber|identifier/)
          return
        }
        expect(result.identifiers.length).toBeGreaterThan(0)
        for (const { identifierType, identifierValue } of result.identifiers) {
          if (identifierType === 'EmailAddress') expect(identifierValue).toBe(input.emailAddress?.trim().toLowerCase())
          if (identifierType === 'PhoneNumber') expect(identifierValue).toMatch(/^\d{7,15}$/)
          if (identifierType === 'MobileContactUid') expect(identifierValue).toBe(input.mobileContactUid?.trim())
        }
      }),
      { numRuns: 2000 }
    )
  })
})

describe('configuration files', () => {
  const valid = JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', 'examples', 'backfill.json'), 'utf8')
  ) as Record<string, unknown>
  const keys = [
    'destination',
    'settings',
    'endpoints',
    'subscriptions',
    'subscription',
    'batching',
    'concurrency',
    'retry',
    'maxLineBytes'
  ]

  it('the example is valid', () => {
    expect(() => parseInstanceFile(valid, 'example')).not.toThrow()
  })

  it('any malformed value is refused with a message that names its key', () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.anything(), (key, value) => {
        try {
          parseInstanceFile({ ...valid, [key]: value }, 'config.json')
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError)
          expect((error as Error).message).toContain(`  ${key}`)
        }
      }),
      { numRuns: 2000 }
    )
  })

  it('any document that is not an object is refused', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(null), fc.array(fc.anything()), fc.string(), fc.double()), (value) => {
        expect(() => parseInstanceFile(value, 'config.json')).toThrow(ConfigError)
      })
    )
  })
})
