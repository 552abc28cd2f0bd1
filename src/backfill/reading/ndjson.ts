import { isUtf8 } from 'node:buffer'
import type { Piece } from './record'

export interface NdjsonOptions {
  /** Lines longer than this are unreadable records, and are never held in memory whole. */
  maxLineBytes: number
  /** Each line is a JSON array whose elements are the records (an export of one array per line). */
  arrayLines?: boolean
}

const NEWLINE = 0x0a
const CR = 0x0d
/** How much of an unreadable line (too long, not UTF-8) a record keeps when the line is too long. */
export const UNREADABLE_PREFIX_BYTES = 200

const hasBom = (body: Buffer): boolean => body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf

/**
 * Reads NDJSON lines, unparsed: each holds one record, or one per element of a line that is a Segment batch
 * payload (or a JSON array, with `arrayLines`).
 * Line numbers count every line, blank ones too, so that a dead letter or a checkpoint names the line
 * a person sees in an editor. Lines are yielded a chunk of input at a time. Memory stays bounded by
 * the chunk size plus `maxLineBytes`, whatever the input holds.
 */
export async function* readNdjson(
  input: number,
  bytes: AsyncIterable<Buffer>,
  options: NdjsonOptions
): AsyncGenerator<Piece[]> {
  const { maxLineBytes, arrayLines = false } = options
  let line = 0
  let carry: Buffer[] = []
  let carryBytes = 0
  let overlong = false

  const finishLine = (bytes: Buffer, pieces: Piece[]): void => {
    line++
    const whole = carryBytes > 0 ? Buffer.concat([...carry, bytes]) : bytes
    const record = (where: string, content: Piece['content']): void => void pieces.push({ input, where, content })
    const where = `line ${line}`
    if (overlong || whole.length > maxLineBytes) {
      const raw = Buffer.from(whole.subarray(0, UNREADABLE_PREFIX_BYTES))
      const reason = `line is longer than ${maxLineBytes} bytes`
      return record(where, { kind: 'unreadable', reason, raw, truncated: true })
    }
    let body = whole
    if (body.length > 0 && body[body.length - 1] === CR) body = body.subarray(0, body.length - 1)
    if (line === 1 && hasBom(body)) body = body.subarray(3)
    if (!isUtf8(body)) {
      const reason = 'line is not valid UTF-8'
      return record(where, { kind: 'unreadable', reason, raw: Buffer.from(body), truncated: false })
    }
    record(where, { kind: 'line', bytes: body, arrayLines })
  }

  for await (const chunk of bytes) {
    const pieces: Piece[] = []
    let start = 0
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      finishLine(chunk.subarray(start, newline), pieces)
      carry = []
      carryBytes = 0
      overlong = false
      start = newline + 1
    }
    const rest = chunk.subarray(start)
    if (rest.length > 0) {
      // Keep only enough of an overlong line to show it; the rest is counted, not held.
      if (!overlong && carryBytes + rest.length > maxLineBytes) {
        overlong = true
        const kept = Buffer.concat([...carry, rest]).subarray(0, UNREADABLE_PREFIX_BYTES)
        carry = [kept]
        carryBytes = kept.length
      } else if (!overlong) {
        carry.push(Buffer.from(rest))
        carryBytes += rest.length
      }
    }
    if (pieces.length > 0) yield pieces
  }
  // A final line without a newline is still a line.
  if (carryBytes > 0 || overlong) {
    const pieces: Piece[] = []
    finishLine(Buffer.alloc(0), pieces)
    yield pieces
  }
}
