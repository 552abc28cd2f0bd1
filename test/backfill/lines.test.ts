import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { collect, file, summary } from './reading-fixtures'

describe('readRecords on NDJSON lines', () => {
  it('numbers every line, blank ones included, and reads a last line without a newline', async () => {
    const records = await collect([{ path: file('{"n":1}\n\n  \n{"n":2}\r\n{"n":3}') }])
    expect(records.map(summary)).toEqual([
      [0, 1, 'line 1', '{"n":1}'],
      [0, 2, 'line 2', '(blank)'],
      [0, 3, 'line 3', '(blank)'],
      [0, 4, 'line 4', '{"n":2}'],
      [0, 5, 'line 5', '{"n":3}']
    ])
  })

  it('drops a byte-order mark and carriage returns', async () => {
    const records = await collect([{ path: file('\uFEFF{"a":1}\r\n{"b":2}\r\n') }])
    expect(records.map(summary).map(([, , , text]) => text)).toEqual(['{"a":1}', '{"b":2}'])
  })

  it('reports invalid UTF-8 and overlong lines without stopping, and keeps counting', async () => {
    const content = Buffer.concat([
      Buffer.from('{"ok":1}\n'),
      Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.from('\n'),
      Buffer.from(`${'x'.repeat(5000)}\n{"last":1}\n`)
    ])
    const records = await collect([{ path: file(content) }], 1024)
    expect(records.map(summary)).toEqual([
      [0, 1, 'line 1', '{"ok":1}'],
      [0, 2, 'line 2', '! line is not valid UTF-8'],
      [0, 3, 'line 3', '! line is longer than 1024 bytes'],
      [0, 4, 'line 4', '{"last":1}']
    ])
    expect(records[1].content).toEqual({
      kind: 'unreadable',
      reason: 'line is not valid UTF-8',
      raw: Buffer.from([0xff, 0xfe, 0x41]),
      truncated: false
    })
    expect(records[2].content).toMatchObject({ raw: Buffer.from('x'.repeat(200)), truncated: true })
  })

  it('holds an overlong line that spans chunks only as a prefix', async () => {
    const big = 'y'.repeat(3 * (1 << 20))
    const records = await collect([{ path: file(`${big}\n{"after":1}\n`) }], 1 << 20)
    expect(records.map(summary)).toEqual([
      [0, 1, 'line 1', `! line is longer than ${1 << 20} bytes`],
      [0, 2, 'line 2', '{"after":1}']
    ])
  })

  it('reads gzip files by name and several inputs in order', async () => {
    const records = await collect([
      { path: file(gzipSync('{"g":1}\n{"g":2}\n'), 'x.ndjson.gz') },
      { path: file('{"p":1}\n') }
    ])
    expect(records.map(summary)).toEqual([
      [0, 1, 'line 1', '{"g":1}'],
      [0, 2, 'line 2', '{"g":2}'],
      [1, 1, 'line 1', '{"p":1}']
    ])
  })

  it('reads stdin, gunzipping it when it starts with the gzip magic bytes', async () => {
    const plain = await collect([{ path: '-' }], 1024, Readable.from([Buffer.from('{"s":1}\n{"s":2}\n')]))
    expect(plain.map(summary)).toEqual([
      [0, 1, 'line 1', '{"s":1}'],
      [0, 2, 'line 2', '{"s":2}']
    ])
    const gzipped = await collect([{ path: '-' }], 1024, Readable.from([gzipSync('{"z":1}\n')]))
    expect(gzipped.map(summary)).toEqual([[0, 1, 'line 1', '{"z":1}']])
  })
})
