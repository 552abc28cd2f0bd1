import type { Readable } from 'node:stream'
import { detectFormat } from './detect'
import { readJsonElements } from './json-stream'
import { readNdjson } from './ndjson'
import type { InputSpec, SourceRecord } from './record'
import { canSeek, openBytes } from './source'
import type { SourceOptions } from './source'

export type { InputSpec, RecordContent, SourceRecord } from './record'
export type { Format } from './detect'

export interface ReadOptions extends SourceOptions {
  /** NDJSON lines longer than this are unreadable records, never held in memory whole. */
  maxLineBytes: number
  stdin?: Readable
}

/**
 * Reads the inputs in order and yields their records a chunk at a time (an await per record would
 * cost too much at the backfill's rates), each with its content parsed. Each input's format is told
 * from its content: NDJSON (events, or batch payloads, one per line), a JSON array of events, or one
 * batch payload over many lines. A resume skips records up to `afterSeq`, seeking to `afterOffset`
 * in a plain NDJSON file.
 */
export async function* readRecords(inputs: InputSpec[], options: ReadOptions): AsyncGenerator<SourceRecord[]> {
  for (let input = 0; input < inputs.length; input++) {
    const spec = inputs[input]
    if (!spec.skip) yield* readInput(input, spec, options)
  }
}

async function* readInput(input: number, spec: InputSpec, options: ReadOptions): AsyncGenerator<SourceRecord[]> {
  const afterSeq = spec.afterSeq ?? 0
  if (spec.afterOffset && canSeek(spec) && (await isNdjson(spec, options))) {
    const bytes = await openBytes(spec, options, spec.afterOffset)
    const from = { line: afterSeq, seq: afterSeq, offset: spec.afterOffset }
    yield* readNdjson(input, bytes, { maxLineBytes: options.maxLineBytes, afterSeq, from })
    return
  }
  const { format, bytes } = await detectFormat(await openBytes(spec, options), options.maxLineBytes)
  if (format === 'lines') {
    const from = { line: 0, seq: 0, offset: 0 }
    yield* readNdjson(input, bytes, { maxLineBytes: options.maxLineBytes, afterSeq, from })
    return
  }
  yield* readJsonElements(input, bytes, { shape: format === 'json-array' ? 'array' : 'batch', afterSeq })
}

/** Whether a file is NDJSON, from its first lines: only then does an `afterOffset` say where to start. */
async function isNdjson(spec: InputSpec, options: ReadOptions): Promise<boolean> {
  const stream = await openBytes(spec, {})
  try {
    return (await detectFormat(stream, options.maxLineBytes)).format === 'lines'
  } finally {
    stream.destroy()
  }
}
