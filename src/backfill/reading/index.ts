import type { Readable } from 'node:stream'
import { lineContent } from './content'
import { detectFormat } from './detect'
import { readJsonElements } from './json-stream'
import { readNdjson } from './ndjson'
import { Numbering } from './numbering'
import type { Numbered } from './numbering'
import type { InputSpec, Line, Piece, RecordContent, SourceRecord } from './record'
import { openBytes } from './source'
import type { SourceOptions } from './source'

export type { InputSpec, KeptRecord, Line, Origin, Piece, RecordContent, SourceRecord } from './record'
export { Numbering } from './numbering'
export type { Numbered } from './numbering'

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
  const numbering = new Numbering()
  for await (const pieces of readPieces(inputs, options)) {
    const records: Numbered<RecordContent>[] = []
    for (const piece of pieces)
      numbering.add(piece, piece.content.kind === 'line' ? lineOf(piece.content) : piece.content, records)
    if (records.length > 0) yield records
  }
}

const lineOf = ({ bytes, arrayLines }: Line) => lineContent(bytes.toString('utf8'), arrayLines)

/**
 * Reads the inputs as readRecords does, but leaves NDJSON lines unparsed, for a caller that parses them
 * elsewhere (the backfill's worker threads) and numbers the records itself (see Numbering).
 */
export async function* readPieces(inputs: InputSpec[], options: ReadOptions): AsyncGenerator<Piece[]> {
  for (let input = 0; input < inputs.length; input++) yield* readInput(input, inputs[input], options)
}

async function* readInput(input: number, spec: InputSpec, options: ReadOptions): AsyncGenerator<Piece[]> {
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
