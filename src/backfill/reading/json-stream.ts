import { Readable, Transform, pipeline } from 'node:stream'
import Parser from 'stream-json/Parser'
import Pick from 'stream-json/filters/Pick'
import StreamArray from 'stream-json/streamers/StreamArray'
import { valueContent } from './content'
import type { SourceRecord } from './record'

export interface JsonStreamOptions {
  /** `array`: the input is a JSON array of records; `batch`: the records are its top-level `batch` array. */
  shape: 'array' | 'batch'
}

/** The most records yielded at once; the parser's own buffers bound memory. */
const MAX_CHUNK_RECORDS = 1000

/**
 * Streams the elements of a JSON array (or of a batch payload's `batch` array) with stream-json, one
 * record each, never holding the document. seq is the element's ordinal from 1, `where` is `element N`.
 * JSON that breaks midway ends the input with one unreadable record saying where it broke: what
 * comes after a syntax error cannot be trusted.
 */
export async function* readJsonElements(
  input: number,
  bytes: AsyncIterable<Buffer>,
  options: JsonStreamOptions
): AsyncGenerator<SourceRecord[]> {
  let bytesRead = 0
  const source = Readable.from(
    countBytes(bytes, (count) => (bytesRead += count)),
    { objectMode: false }
  )
  // Packed values without their streamed pieces: fewer tokens, and the elements are whole anyway.
  const parser = new Parser({ packValues: true, streamValues: false })
  const elements = new StreamArray()
  let syntaxError: Error | undefined
  let batchFound = options.shape === 'array'
  const stages: Transform[] = [parser]
  parser.on('error', (error) => (syntaxError ??= error))
  elements.on('error', (error) => (syntaxError ??= error))
  if (options.shape === 'batch') {
    const pick = new Pick({ filter: 'batch' })
    pick.once('data', () => (batchFound = true))
    stages.push(pick)
  }
  let failure: Error | null | undefined
  let wake = (): void => undefined
  const tail = pipeline([source, ...stages, elements], (error) => {
    failure = error ?? null
    wake()
  }) as Transform
  tail.on('readable', () => wake())
  tail.on('end', () => wake())

  let seq = 0
  try {
    for (;;) {
      const records: SourceRecord[] = []
      for (let item = tail.read() as Element | null; item !== null; item = tail.read() as Element | null) {
        seq = item.key + 1
        records.push(elementRecord(input, seq, item.value))
        if (records.length >= MAX_CHUNK_RECORDS) break
      }
      if (records.length > 0) {
        yield records
        continue
      }
      if (failure !== undefined || tail.readableEnded) break
      await new Promise<void>((resolve) => (wake = resolve))
    }
    if (failure && failure !== syntaxError) throw failure
    const last = syntaxError
      ? brokenRecord(input, seq + 1, syntaxError, options.shape, bytesRead)
      : !batchFound
        ? noBatchRecord(input)
        : undefined
    if (last) yield [last]
  } finally {
    tail.destroy()
  }
}

interface Element {
  key: number
  value: unknown
}

async function* countBytes(bytes: AsyncIterable<Buffer>, count: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of bytes) {
    count(chunk.length)
    yield chunk
  }
}

const elementRecord = (input: number, seq: number, value: unknown): SourceRecord => ({
  input,
  seq,
  where: `element ${seq}`,
  content: valueContent(value, JSON.stringify(value))
})

function brokenRecord(
  input: number,
  seq: number,
  error: Error,
  shape: 'array' | 'batch',
  bytesRead: number
): SourceRecord {
  const what =
    shape === 'batch' && error.message.includes('should be an array') ? '"batch" is not an array' : error.message
  const after = seq === 1 ? 'before the first element' : `after element ${seq - 1}`
  return {
    input,
    seq,
    where: `element ${seq}`,
    content: {
      kind: 'unreadable',
      reason: `the JSON breaks ${after}, within its first ${bytesRead} bytes (${what}); the rest of the input is not read`,
      raw: Buffer.alloc(0),
      truncated: true
    }
  }
}

const noBatchRecord = (input: number): SourceRecord => ({
  input,
  seq: 1,
  where: 'the document',
  content: {
    kind: 'unreadable',
    reason:
      'a JSON object over several lines must be a Segment batch payload {"batch": [...]}, and this one has no "batch" key',
    raw: Buffer.alloc(0),
    truncated: true
  }
})
