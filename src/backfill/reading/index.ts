// Temporary adapter over the NDJSON line reader, until the reading layer lands.
import type { Readable } from 'node:stream'
import { readLines } from '../lines'
import { parseLine } from '../records'
import type { InputSpec, SourceRecord } from './record'

export type { InputSpec, SourceRecord, RecordContent } from './record'

export async function* readRecords(
  inputs: InputSpec[],
  options: { maxLineBytes: number; stdin?: Readable; onBytes?: (bytes: number) => void }
): AsyncGenerator<SourceRecord[]> {
  const specs = inputs.map((spec) => ({
    path: spec.path,
    skip: spec.skip,
    afterLine: spec.afterSeq,
    afterOffset: spec.afterOffset
  }))
  for await (const lines of readLines(specs, options)) {
    yield lines.map((line): SourceRecord => {
      const base = { input: line.input, seq: line.line, where: `line ${line.line}`, end: line.end }
      if (line.text === undefined) {
        return {
          ...base,
          content: {
            kind: 'unreadable',
            reason: line.problem ?? '',
            raw: Buffer.from(line.preview ?? ''),
            truncated: false
          }
        }
      }
      const parsed = parseLine(line.text)
      if (parsed.kind === 'blank') return { ...base, content: { kind: 'blank' } }
      if (parsed.kind === 'malformed')
        return {
          ...base,
          content: { kind: 'unreadable', reason: parsed.reason, raw: Buffer.from(parsed.raw), truncated: false }
        }
      return { ...base, content: { kind: 'event', event: parsed.event, text: line.text } }
    })
  }
}
