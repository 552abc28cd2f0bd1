import Verifier from 'stream-json/utils/Verifier'

/**
 * How an input is read: `lines` is NDJSON (each line an event, or a Segment batch payload whose
 * elements are the records); `array-lines` is NDJSON whose lines are JSON arrays of events;
 * `json-array` is one JSON array of events; `batch-document` is one Segment batch payload
 * `{"batch": [...], ...}` spread over many lines.
 */
export type Format = 'lines' | 'array-lines' | 'json-array' | 'batch-document'

const BOM = [0xef, 0xbb, 0xbf]
const NEWLINE = 0x0a
const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
/** The first line plus this many more non-blank lines show whether a `{` starts one multi-line document. */
const LINES_TO_LOOK_AT = 3

const isJsonWhitespace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09

/**
 * Tells an input's format from its first bytes, which it reads from `bytes` and hands on in the
 * returned stream with the rest, so nothing is read twice. It holds at most the first three
 * non-blank lines, and never more than `3 * maxLineBytes`.
 *
 * After a byte-order mark and whitespace: `[` is a JSON array, or NDJSON of arrays when its line is a
 * whole JSON value and more lines follow. `{` is NDJSON when its line is a
 * whole JSON object (an event, or a batch payload per line); otherwise it is a multi-line document
 * when the first lines go on as one JSON value without a syntax error. A line of an NDJSON file that
 * is cut off never goes on into the next one (a line starts with `{`, which can follow no JSON value
 * directly), so an NDJSON file whose first line is broken still reads as NDJSON. Anything else is
 * NDJSON, whose reader reports each line that is not an event.
 */
export async function detectFormat(
  bytes: AsyncIterable<Buffer>,
  maxLineBytes: number
): Promise<{ format: Format; bytes: AsyncIterable<Buffer> }> {
  const chunks = bytes[Symbol.asyncIterator]()
  const head: Buffer[] = []
  let headBytes = 0
  let ended = false
  let first = -1
  let firstByte = -1
  let lines = 0
  let lineHasContent = false
  /** Where the lines looked at end: the verifier must not judge what lies beyond them. */
  let lookedAt = Infinity

  while (lines < LINES_TO_LOOK_AT && headBytes < LINES_TO_LOOK_AT * maxLineBytes) {
    const next = await chunks.next()
    if (next.done) {
      ended = true
      break
    }
    const chunk = next.value
    for (let i = 0; i < chunk.length && lines < LINES_TO_LOOK_AT; i++) {
      const byte = chunk[i]
      const position = headBytes + i
      if (first === -1 && !isJsonWhitespace(byte) && !(position < 3 && byte === BOM[position])) {
        first = position
        firstByte = byte
      }
      if (byte === NEWLINE) {
        if (lineHasContent && ++lines === LINES_TO_LOOK_AT) lookedAt = position + 1
        lineHasContent = false
      } else if (!isJsonWhitespace(byte)) lineHasContent = true
    }
    head.push(chunk)
    headBytes += chunk.length
    // Only a `{` or a `[` needs more than its first byte to go by.
    if (first !== -1 && firstByte !== OPEN_BRACE && firstByte !== OPEN_BRACKET) break
  }

  const start = Buffer.concat(head)
  const format = await formatOf(start.subarray(0, lookedAt), first, ended && lookedAt === Infinity, maxLineBytes)
  async function* replay(): AsyncGenerator<Buffer> {
    if (start.length > 0) yield start
    if (!ended) yield* { [Symbol.asyncIterator]: () => chunks }
  }
  return { format, bytes: replay() }
}

/** `start` is the content's start, all of it when `complete`; `first` the offset of its first non-blank byte. */
async function formatOf(start: Buffer, first: number, complete: boolean, maxLineBytes: number): Promise<Format> {
  if (first === -1) return 'lines'
  if (start[first] !== OPEN_BRACE && start[first] !== OPEN_BRACKET) return 'lines'
  const newline = start.indexOf(NEWLINE, first)
  const firstLine = start.subarray(first, newline === -1 ? start.length : newline)
  const wholeLine = firstLine.length <= maxLineBytes && isWholeJsonValue(firstLine)
  if (start[first] === OPEN_BRACKET) {
    const moreLines = newline !== -1 && start.subarray(newline).some((byte) => !isJsonWhitespace(byte))
    return wholeLine && moreLines ? 'array-lines' : 'json-array'
  }
  if ((newline !== -1 || complete) && wholeLine) return 'lines'
  return (await goesOnAsOneValue(start.subarray(first), complete)) ? 'batch-document' : 'lines'
}

function isWholeJsonValue(line: Buffer): boolean {
  try {
    JSON.parse(line.toString('utf8'))
    return true
  } catch {
    return false
  }
}

/** Whether `text` is the start of one JSON value (all of it when `complete`), by stream-json's verifier. */
function goesOnAsOneValue(text: Buffer, complete: boolean): Promise<boolean> {
  const verifier = new Verifier()
  return new Promise((resolve) => {
    verifier.on('error', () => resolve(false))
    if (complete) {
      verifier.on('finish', () => resolve(true))
      verifier.end(text)
    } else verifier.write(text, (error) => resolve(!error))
  })
}
