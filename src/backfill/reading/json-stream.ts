import { isUtf8 } from 'node:buffer'
import { valueContent } from './content'
import type { Piece, RecordContent } from './record'
import { UNREADABLE_PREFIX_BYTES } from './ndjson'

export interface JsonStreamOptions {
  /** `array`: the input is a JSON array of records; `batch`: the records are its top-level `batch` array. */
  shape: 'array' | 'batch'
  /** Elements longer than this are unreadable records, never held whole; of what a break leaves unread, this much is kept. */
  maxElementBytes: number
}

const BOM = [0xef, 0xbb, 0xbf]
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d

const isJsonWhitespace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
const isDelimiter = (byte: number): boolean =>
  isJsonWhitespace(byte) || byte === COMMA || byte === CLOSE_BRACKET || byte === CLOSE_BRACE
const number = new Intl.NumberFormat('en-US')

/**
 * Reads the elements of a JSON array (or of a batch payload's `batch` array) a chunk at a time, never
 * holding the document: a scanner finds each element's bytes (strings, escapes and nesting), and
 * JSON.parse reads them. `where` is `element N`, N the element's ordinal from 1. A trailing comma
 * after the last element is tolerated.
 *
 * Anything that breaks the JSON (a syntax error, a line break inside a string, the input ending inside
 * an element) ends the input with one unreadable record: what comes after a syntax error cannot be
 * trusted, so it is not read as events but counted (`rest`, in bytes from the start of the element it
 * broke in) and kept, its first `maxElementBytes` bytes, in the record's raw bytes.
 */
export async function* readJsonElements(
  input: number,
  bytes: AsyncIterable<Buffer>,
  options: JsonStreamOptions
): AsyncGenerator<Piece[]> {
  const scanner = new DocumentScanner(input, options)
  for await (const chunk of bytes) {
    const records = scanner.push(chunk)
    if (records.length > 0) yield records
  }
  const last = scanner.finish()
  if (last.length > 0) yield last
}

/** What the scanner expects next, outside a value. */
type Expect =
  'document' | 'key-or-close' | 'colon' | 'member' | 'member-next' | 'element-or-close' | 'element-next' | 'end'

/** A value being scanned: an element (kept, up to the limit), an object key (kept) or another member (skipped). */
interface Value {
  keep: 'element' | 'key' | 'skip'
  start: number
  parts: Buffer[]
  bytes: number
  overlong: boolean
  /** Brackets and braces open; 0 for a string or a scalar. */
  depth: number
  inString: boolean
  escape: boolean
  /** A scalar (number, true, false, null) ends at the first delimiter, which is not its own. */
  scalar: boolean
}

/** Where the JSON broke, and what is kept of the rest. */
interface Break {
  where: string
  reason: string
  from: number
  kept: Buffer[]
  keptBytes: number
  /** Only what follows the start without a gap is kept: an overlong element's prefix stops it. */
  keeping: boolean
}

class DocumentScanner {
  private expect: Expect = 'document'
  private offset = 0
  private seq = 0
  private key: string | undefined
  private inBatch = false
  private batchFound: boolean
  private value: Value | undefined
  private broken: Break | undefined

  constructor(
    private readonly input: number,
    private readonly options: JsonStreamOptions
  ) {
    this.batchFound = options.shape === 'array'
  }

  push(chunk: Buffer): Piece[] {
    const records: Piece[] = []
    let i = 0
    while (i < chunk.length && !this.broken) {
      if (this.value) i = this.scanValue(chunk, i, records)
      else {
        const byte = chunk[i]
        const at = this.offset + i
        if (isJsonWhitespace(byte) || (this.expect === 'document' && at < 3 && byte === BOM[at])) i++
        else if (this.structure(byte, at) && !this.broken) i++
      }
    }
    if (this.broken && i < chunk.length) this.keep(chunk.subarray(i))
    else if (this.value)
      this.hold(this.value, chunk.subarray(this.value.start > this.offset ? this.value.start - this.offset : 0))
    this.offset += chunk.length
    return records
  }

  finish(): Piece[] {
    if (!this.broken && this.value) {
      const what = this.value.keep === 'element' ? `inside element ${this.seq + 1}` : 'inside a value'
      this.fail(`the input ends ${what}: was it cut off?`, this.offset)
    } else if (!this.broken && this.expect !== 'end' && this.expect !== 'document') {
      this.fail(
        `the input ends before the ${this.inBatch || this.options.shape === 'array' ? 'array' : 'document'} is closed: was it cut off?`,
        this.offset
      )
    }
    if (this.broken) return [this.brokenRecord(this.broken)]
    if (!this.batchFound) return [noBatchRecord(this.input)]
    return []
  }

  /** One byte of structure outside any value. Returns false when the byte starts a value instead, unread. */
  private structure(byte: number, at: number): boolean {
    switch (this.expect) {
      case 'document':
        if (byte === OPEN_BRACKET && this.options.shape === 'array') return this.to('element-or-close')
        if (byte === OPEN_BRACE && this.options.shape === 'batch') return this.to('key-or-close')
        return this.unexpected(byte, at)
      case 'key-or-close':
        if (byte === CLOSE_BRACE) return this.to('end')
        if (byte !== QUOTE) return this.unexpected(byte, at)
        return this.startValue('key', at)
      case 'colon':
        return byte === COLON ? this.to('member') : this.unexpected(byte, at)
      case 'member':
        if (this.key !== 'batch') return this.startValue('skip', at)
        if (byte !== OPEN_BRACKET) {
          this.fail('"batch" is not an array', at)
          return true
        }
        this.batchFound = true
        this.inBatch = true
        return this.to('element-or-close')
      case 'member-next':
        if (byte === COMMA) return this.to('key-or-close')
        return byte === CLOSE_BRACE ? this.to('end') : this.unexpected(byte, at)
      case 'element-or-close':
        // After a comma too: a trailing comma before the closing bracket is tolerated.
        if (byte === CLOSE_BRACKET) return this.closeArray()
        if (byte === COMMA) return this.unexpected(byte, at)
        return this.startValue('element', at)
      case 'element-next':
        if (byte === COMMA) return this.to('element-or-close')
        return byte === CLOSE_BRACKET ? this.closeArray() : this.unexpected(byte, at)
      case 'end':
        return this.unexpected(byte, at)
    }
  }

  private to(expect: Expect): true {
    this.expect = expect
    return true
  }

  private closeArray(): true {
    if (!this.inBatch) return this.to('end')
    this.inBatch = false
    return this.to('member-next')
  }

  private startValue(keep: Value['keep'], at: number): false {
    this.value = {
      keep,
      start: at,
      parts: [],
      bytes: 0,
      overlong: false,
      depth: 0,
      inString: false,
      escape: false,
      scalar: false
    }
    return false
  }

  /** Scans the current value from chunk[i]; returns where the scan stopped (the value ended, or the chunk did). */
  private scanValue(chunk: Buffer, i: number, records: Piece[]): number {
    const value = this.value as Value
    const first = value.start === this.offset + i
    if (first) {
      const byte = chunk[i]
      value.inString = byte === QUOTE
      value.depth = byte === OPEN_BRACE || byte === OPEN_BRACKET ? 1 : 0
      value.scalar = !value.inString && value.depth === 0
      if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET || byte === COLON || byte === COMMA) {
        this.unexpected(byte, this.offset + i)
        return i
      }
      i++
    }
    const from = first ? i - 1 : i
    for (; i < chunk.length; i++) {
      const byte = chunk[i]
      if (value.inString) {
        if (value.escape) value.escape = false
        else if (byte === BACKSLASH) value.escape = true
        else if (byte === QUOTE) value.inString = false
        else if (byte < 0x20) {
          this.hold(value, chunk.subarray(from, i))
          this.fail(`${byte === 0x0a ? 'a line break' : 'a control character'} inside a string`, this.offset + i)
          return i
        }
        if (value.inString || value.depth > 0) continue
        return this.endValue(chunk, from, i + 1, records)
      }
      if (value.scalar) {
        if (isDelimiter(byte)) return this.endValue(chunk, from, i, records)
      } else if (byte === QUOTE) value.inString = true
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) value.depth++
      else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --value.depth === 0)
        return this.endValue(chunk, from, i + 1, records)
    }
    return i
  }

  /** The current value ends at chunk[end - 1]; its bytes in this chunk start at `from`. */
  private endValue(chunk: Buffer, from: number, end: number, records: Piece[]): number {
    const value = this.value as Value
    this.hold(value, chunk.subarray(from, end))
    const text = Buffer.concat(value.parts)
    if (value.keep === 'skip') this.expect = 'member-next'
    else if (value.keep === 'key') {
      this.key = this.parse(text, value)
      this.expect = 'colon'
    } else {
      const content = value.overlong
        ? overlongContent(text, this.options.maxElementBytes)
        : this.elementContent(text, value)
      if (content) {
        this.seq++
        records.push({ input: this.input, where: `element ${this.seq}`, content })
        this.expect = 'element-next'
      }
    }
    // A value that does not parse has broken the document, which let go of it already.
    if (!this.broken) this.value = undefined
    return end
  }

  private elementContent(bytes: Buffer, value: Value): RecordContent | undefined {
    if (!isUtf8(bytes))
      return { kind: 'unreadable', reason: 'element is not valid UTF-8', raw: bytes, truncated: false }
    const parsed = this.parse(bytes, value)
    return this.broken ? undefined : valueContent(parsed, JSON.stringify(parsed))
  }

  /** JSON.parse of a value the scanner delimited; a value that does not parse breaks the document. */
  private parse<T>(bytes: Buffer, value: Value): T | undefined {
    try {
      return JSON.parse(bytes.toString('utf8')) as T
    } catch (error) {
      this.fail(`not valid JSON (${(error as Error).message})`, value.start)
      return undefined
    }
  }

  /** Keeps an element's or a key's bytes, up to the limit; an overlong one keeps only its first bytes. */
  private hold(value: Value, bytes: Buffer): void {
    if (value.keep === 'skip' || bytes.length === 0) return
    value.bytes += bytes.length
    if (value.overlong) return
    if (value.bytes > this.options.maxElementBytes) {
      value.overlong = true
      value.parts = [Buffer.concat([...value.parts, bytes]).subarray(0, UNREADABLE_PREFIX_BYTES)]
    } else value.parts.push(Buffer.from(bytes))
  }

  private unexpected(byte: number, at: number): true {
    const shown = byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16)}`
    this.fail(`unexpected ${shown}`, at)
    return true
  }

  /**
   * The JSON breaks at byte `at`: the rest is not read. It is counted from the start of the element (or
   * key) it broke in, else from `at`, and kept from there as far as the limit allows.
   */
  private fail(reason: string, at: number): void {
    const held = this.value && this.value.keep !== 'skip' ? this.value : undefined
    const inArray = held?.keep === 'element' || this.expect === 'element-or-close' || this.expect === 'element-next'
    const kept = held ? [...held.parts] : []
    this.broken = {
      where: inArray ? `element ${this.seq + 1}` : `byte ${at}`,
      reason: `${reason} at byte ${number.format(at)}`,
      from: held ? held.start : at,
      kept,
      keptBytes: kept.reduce((total, part) => total + part.length, 0),
      keeping: !held?.overlong
    }
    this.value = undefined
  }

  private keep(bytes: Buffer): void {
    const broken = this.broken as Break
    const room = this.options.maxElementBytes - broken.keptBytes
    if (!broken.keeping || room <= 0) return
    const part = Buffer.from(bytes.subarray(0, room))
    broken.kept.push(part)
    broken.keptBytes += part.length
  }

  private brokenRecord(broken: Break): Piece {
    const bytes = this.offset - broken.from
    const raw = Buffer.concat(broken.kept)
    const kept = raw.length === bytes ? 'all kept here' : `the first ${number.format(raw.length)} kept here`
    const rest =
      bytes === 0
        ? ''
        : `; the rest of the input, ${number.format(bytes)} bytes from byte ${number.format(broken.from)}, is not read (${kept})`
    return {
      input: this.input,
      where: broken.where,
      content: {
        kind: 'unreadable',
        reason: `the JSON breaks (${broken.reason})${rest}`,
        raw,
        truncated: raw.length < bytes,
        ...(bytes > 0 ? { rest: { from: broken.from, bytes } } : {})
      }
    }
  }
}

const overlongContent = (prefix: Buffer, limit: number): RecordContent => ({
  kind: 'unreadable',
  reason: `element is longer than ${limit} bytes`,
  raw: prefix,
  truncated: true
})

const noBatchRecord = (input: number): Piece => ({
  input,
  where: 'the document',
  content: {
    kind: 'unreadable',
    reason:
      'a JSON object over several lines must be a Segment batch payload {"batch": [...]}, and this one has no "batch" key',
    raw: Buffer.alloc(0),
    truncated: true
  }
})
