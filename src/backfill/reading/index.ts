import type { Readable } from 'node:stream'
import { detectFormat } from './detect'
import { readJsonElements } from './json-stream'
import { readNdjson } from './ndjson'
import type { InputSpec, SourceRecord } from './record'
import { openBytes } from './source'
import type { SourceOptions } from './source'

export type { InputSpec, KeptRecord, Origin, RecordContent, SourceRecord } from './record'

export interface ReadOptions extends SourceOptions {
  /** NDJSON lines (and JSON array elements) longer than this are unreadable records, never held in memory whole. */
  maxLineBytes: number
  stdin?: Readable
}

/**
 * Reads the inputs in order and yields their records a chunk at a time (an await per record would
 * cost too much at the backfill's rates), each with its content parsed. Each input's format is told
 * from its content: NDJSON (events, batch payloads or arrays of events, one per line), a JSON array of
 * events, or one batch payload over many lines.
 */
export async function* readRecords(inputs: InputSpec[], options: ReadOptions): AsyncGenerator<SourceRecord[]> {
  for (let input = 0; input < inputs.length; input++) yield* readInput(input, inputs[input], options)
}

async function* readInput(input: number, spec: InputSpec, options: ReadOptions): AsyncGenerator<SourceRecord[]> {
  const { format, bytes } = await detectFormat(await openBytes(spec, options), options.maxLineBytes)
  const { maxLineBytes } = options
  if (format === 'lines' || format === 'array-lines')
    yield* readNdjson(input, bytes, { maxLineBytes, arrayLines: format === 'array-lines' })
  else
    yield* readJsonElements(input, bytes, {
      shape: format === 'json-array' ? 'array' : 'batch',
      maxElementBytes: maxLineBytes
    })
}
