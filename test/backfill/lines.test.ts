import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { readLines } from '../../src/backfill/lines'
import type { InputSpec, Line } from '../../src/backfill/lines'

const dir = mkdtempSync(path.join(tmpdir(), 'lines-'))
let files = 0
function file(content: string | Buffer, name = `input-${files++}.ndjson`): string {
  const target = path.join(dir, name)
  writeFileSync(target, content)
  return target
}

async function collect(inputs: InputSpec[], maxLineBytes = 1 << 20, stdin?: Readable): Promise<Line[]> {
  const lines: Line[] = []
  for await (const chunk of readLines(inputs, { maxLineBytes, stdin })) lines.push(...chunk)
  return lines
}

const summary = (lines: Line[]) => lines.map(({ input, line, text, problem }) => ({ input, line, text, problem }))

describe('readLines', () => {
  it('numbers every line, blank ones included, and reads a last line without a newline', async () => {
    const lines = await collect([{ path: file('a\n\n  \nb\r\nc') }])
    expect(summary(lines)).toEqual([
      { input: 0, line: 1, text: 'a', problem: undefined },
      { input: 0, line: 2, text: '', problem: undefined },
      { input: 0, line: 3, text: '  ', problem: undefined },
      { input: 0, line: 4, text: 'b', problem: undefined },
      { input: 0, line: 5, text: 'c', problem: undefined }
    ])
    expect(lines.map((line) => line.end)).toEqual([2, 3, 6, 9, 10])
  })

  it('drops a byte-order mark and carriage returns', async () => {
    const lines = await collect([{ path: file('\uFEFF{"a":1}\r\n{"b":2}\r\n') }])
    expect(lines.map((line) => line.text)).toEqual(['{"a":1}', '{"b":2}'])
  })

  it('reports invalid UTF-8 and overlong lines without stopping, and keeps counting', async () => {
    const content = Buffer.concat([
      Buffer.from('ok\n'),
      Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.from('\n'),
      Buffer.from(`${'x'.repeat(5000)}\nlast\n`)
    ])
    const lines = await collect([{ path: file(content) }], 1024)
    expect(summary(lines)).toEqual([
      { input: 0, line: 1, text: 'ok', problem: undefined },
      { input: 0, line: 2, text: undefined, problem: 'line is not valid UTF-8' },
      { input: 0, line: 3, text: undefined, problem: 'line is longer than 1024 bytes' },
      { input: 0, line: 4, text: 'last', problem: undefined }
    ])
    expect(lines[2].preview).toHaveLength(200)
  })

  it('holds an overlong line that spans chunks only as a preview', async () => {
    const big = 'y'.repeat(3 * (1 << 20))
    const lines = await collect([{ path: file(`${big}\nafter\n`) }], 1 << 20)
    expect(summary(lines)).toEqual([
      { input: 0, line: 1, text: undefined, problem: `line is longer than ${1 << 20} bytes` },
      { input: 0, line: 2, text: 'after', problem: undefined }
    ])
  })

  it('reads gzip files by name and several inputs in order', async () => {
    const lines = await collect([{ path: file(gzipSync('g1\ng2\n'), 'x.ndjson.gz') }, { path: file('p1\n') }])
    expect(lines.map((line) => [line.input, line.line, line.text])).toEqual([
      [0, 1, 'g1'],
      [0, 2, 'g2'],
      [1, 1, 'p1']
    ])
  })

  it('reads stdin, gunzipping it when it starts with the gzip magic bytes', async () => {
    expect((await collect([{ path: '-' }], 1024, Readable.from([Buffer.from('s1\ns2\n')]))).map((l) => l.text)).toEqual(
      ['s1', 's2']
    )
    expect((await collect([{ path: '-' }], 1024, Readable.from([gzipSync('z1\n')]))).map((l) => l.text)).toEqual(['z1'])
  })

  it('resumes after a line: by seeking in a plain file, by skipping in a gzip file, and skips whole inputs', async () => {
    const plain = file('l1\nl2\nl3\n')
    expect(summary(await collect([{ path: plain, afterLine: 2, afterOffset: 6 }]))).toEqual([
      { input: 0, line: 3, text: 'l3', problem: undefined }
    ])
    const gz = file(gzipSync('l1\nl2\nl3\n'), 'r.ndjson.gz')
    expect((await collect([{ path: gz, afterLine: 1, afterOffset: 3 }])).map((l) => [l.line, l.text, l.end])).toEqual([
      [2, 'l2', 6],
      [3, 'l3', 9]
    ])
    expect((await collect([{ path: plain, skip: true }, { path: plain }])).map((l) => l.input)).toEqual([1, 1, 1])
  })
})
