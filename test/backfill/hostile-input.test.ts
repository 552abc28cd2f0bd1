import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { ConfigError, parseBackfillConfig } from '../../src/backfill/config'
import { readLines } from '../../src/backfill/lines'
import type { Line } from '../../src/backfill/lines'
import { coerceDataFields, coerceValue } from '../../destinations/listrak-cross-channel/coerce'
import { normalizeIdentifiers } from '../../destinations/listrak-cross-channel/identifiers'
import type { AttributeType } from '../../destinations/listrak-cross-channel/contract'
import { startSimulator } from '../../src/simulator'
import { backfillOptions, readDeadLetters, runBackfill, workDir } from './fixtures'

const dir = mkdtempSync(path.join(tmpdir(), 'hostile-'))
let files = 0

async function linesOf(content: Buffer, maxLineBytes = 1024): Promise<Line[]> {
  const file = path.join(dir, `input-${files++}.ndjson`)
  writeFileSync(file, content)
  const lines: Line[] = []
  for await (const chunk of readLines([{ path: file }], { maxLineBytes })) lines.push(...chunk)
  return lines
}

describe('the NDJSON reader on any bytes', () => {
  it('never crashes, numbers every line, and ends each where the file does', async () => {
    const bytes = fc.uint8Array({ maxLength: 3000 }).chain((noise) =>
      fc.array(fc.constantFrom(0x0a, 0x0d, 0xef, 0xbb, 0xbf, 0xff, 0x7b, 0x22), { maxLength: 200 }).map((extra) => {
        // Mix the noise with newlines, CRs and BOM bytes so every case turns up.
        const mixed = Buffer.concat([Buffer.from(noise), Buffer.from(extra)])
        return Buffer.from(mixed.sort(() => 0))
      })
    )
    await fc.assert(
      fc.asyncProperty(bytes, fc.integer({ min: 16, max: 4096 }), async (content, maxLineBytes) => {
        const lines = await linesOf(content, maxLineBytes)
        const segments = content.toString('latin1').split('\n')
        const expected = segments.at(-1) === '' ? segments.length - 1 : segments.length
        expect(lines.map((line) => line.line)).toEqual(Array.from({ length: expected }, (_, i) => i + 1))
        expect(lines.at(-1)?.end ?? 0).toBe(content.length)
        for (const line of lines) {
          if (line.text === undefined) expect(line.problem).toMatch(/not valid UTF-8|longer than/)
          else expect(Buffer.byteLength(line.text)).toBeLessThanOrEqual(maxLineBytes)
        }
      }),
      { numRuns: 300 }
    )
  })

  it('reads a 10 MB line as one unreadable line, holding a preview of it, and goes on', async () => {
    const lines = await linesOf(
      Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.alloc(10 * 1024 * 1024, 0x78), Buffer.from('\n{"b":2}\n')]),
      1 << 20
    )
    expect(lines.map(({ line, text, problem }) => ({ line, text, problem }))).toEqual([
      { line: 1, text: '{"a":1}', problem: undefined },
      { line: 2, text: undefined, problem: 'line is longer than 1048576 bytes' },
      { line: 3, text: '{"b":2}', problem: undefined }
    ])
    expect(lines[1].preview).toBe('x'.repeat(200))
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
      const { read, accepted, rejected, filtered, duplicates, blankLines } = report.counts
      expect({ read, blankLines }).toEqual({ read: 12, blankLines: 2 })
      expect(read).toBe(accepted + rejected + filtered + duplicates)

      const arrived = simulator.state.journal.map((entry) => entry.dataFields.orderId).sort()
      expect(arrived).toEqual(['BIG', 'BOM', 'CRLF', 'DEEP', 'LAST', 'PROTO', 'ROOTPROTO'].sort())
      expect(simulator.state.journal.find((entry) => entry.dataFields.orderId === 'BIG')?.dataFields.orderTotal).toBe(
        '1.2345678901234568e+29'
      )

      const letters = readDeadLetters(path.join(work, 'dead-letters.ndjson'))
      expect(letters.map((letter) => letter.deadLetter.line).sort((a, b) => a - b)).toEqual([5, 7, 11, 12, 13])
      const reasons = new Map(letters.map((letter) => [letter.deadLetter.line, letter.deadLetter.reason]))
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
  const keys = ['destination', 'settings', 'subscription', 'batching', 'concurrency', 'retry', 'maxLineBytes']

  it('the example is valid', () => {
    expect(() => parseBackfillConfig(valid, 'example')).not.toThrow()
  })

  it('any malformed value is refused with a message that names its key', () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.anything(), (key, value) => {
        try {
          parseBackfillConfig({ ...valid, [key]: value }, 'config.json')
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
        expect(() => parseBackfillConfig(value, 'config.json')).toThrow(ConfigError)
      })
    )
  })
})
