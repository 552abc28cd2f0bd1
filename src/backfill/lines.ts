import { createReadStream } from 'node:fs'
import { isUtf8 } from 'node:buffer'
import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'

/** One line of an input, numbered from 1 in its file, blank lines included. */
export interface Line {
  input: number
  line: number
  /** The line without its newline, carriage return or byte-order mark; undefined when `problem` is set. */
  text: string | undefined
  /** Why the line cannot be read as text: too long, or not UTF-8. */
  problem?: string
  /** A short preview of an unreadable line, for the dead letter. */
  preview?: string
  /** Byte offset just after this line in the (uncompressed) input. */
  end: number
}

export interface InputSpec {
  /** A file path, or '-' for standard input. */
  path: string
  /** Skip the whole input (a resume past it). */
  skip?: boolean
  /** Skip every line up to this one (resume). */
  afterLine?: number
  /** Byte offset of `afterLine`'s end; plain files seek there instead of re-reading. */
  afterOffset?: number
}

export interface LineReaderOptions {
  /** Lines longer than this are reported as a problem without being held in memory. */
  maxLineBytes: number
  stdin?: Readable
  /** Called with the number of raw (possibly compressed) bytes read, for progress. */
  onBytes?: (bytes: number) => void
}

const NEWLINE = 0x0a
const CR = 0x0d
const GZIP_MAGIC = [0x1f, 0x8b]
const PREVIEW_BYTES = 200

function preview(buffer: Buffer): string {
  return buffer.subarray(0, PREVIEW_BYTES).toString('utf8')
}

/** The input's bytes, gunzipped when it is gzip (by name, or for stdin by its first two bytes). */
async function openInput(spec: InputSpec, options: LineReaderOptions): Promise<{ stream: Readable; seeked: boolean }> {
  if (spec.path === '-') {
    const { gzip, stream } = await sniffGzip(options.stdin ?? process.stdin)
    countBytes(stream, options)
    return { stream: gzip ? stream.pipe(createGunzip()) : stream, seeked: false }
  }
  const gzip = isGzipName(spec.path)
  const seeked = !gzip && Boolean(spec.afterOffset)
  const raw = createReadStream(spec.path, { highWaterMark: 1 << 17, start: seeked ? spec.afterOffset : 0 })
  countBytes(raw, options)
  return { stream: gzip ? raw.pipe(createGunzip()) : raw, seeked }
}

function countBytes(stream: Readable, options: LineReaderOptions): void {
  const { onBytes } = options
  if (onBytes) stream.on('data', (chunk: Buffer) => onBytes(chunk.length))
}

const isGzipName = (path: string): boolean => path.endsWith('.gz')

/**
 * stdin has no name to go by: look at its first chunk for the gzip magic bytes. The chunk is
 * handed on through a generator rather than unshifted, since a short stdin may have ended already.
 */
async function sniffGzip(stream: Readable): Promise<{ gzip: boolean; stream: Readable }> {
  const chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
  const first = await chunks.next()
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.done) return
    yield first.value
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value
  }
  const gzip = !first.done && first.value[0] === GZIP_MAGIC[0] && first.value[1] === GZIP_MAGIC[1]
  return { gzip, stream: Readable.from(replay(), { objectMode: false }) }
}

/**
 * Reads the inputs in order and yields their lines a chunk at a time (yielding per line would
 * cost an await each). Line numbers count every line, blank ones too, so that a dead letter or a
 * checkpoint names the line a person sees in an editor. Memory stays bounded by the chunk size
 * plus `maxLineBytes`, whatever the input holds.
 */
export async function* readLines(inputs: InputSpec[], options: LineReaderOptions): AsyncGenerator<Line[]> {
  for (let input = 0; input < inputs.length; input++) {
    const spec = inputs[input]
    if (spec.skip) continue
    const skipThrough = spec.afterLine ?? 0
    const { stream, seeked } = await openInput(spec, options)
    let line = seeked ? skipThrough : 0
    let offset = seeked ? (spec.afterOffset ?? 0) : 0
    let carry: Buffer[] = []
    let carryBytes = 0
    let overlong = false

    const finish = (piece: Buffer, end: number): Line | undefined => {
      line++
      if (line <= skipThrough) return undefined
      const parts = carryBytes > 0 ? Buffer.concat([...carry, piece]) : piece
      if (overlong || parts.length > options.maxLineBytes) {
        return {
          input,
          line,
          text: undefined,
          problem: `line is longer than ${options.maxLineBytes} bytes`,
          preview: preview(parts),
          end
        }
      }
      let body = parts
      if (body.length > 0 && body[body.length - 1] === CR) body = body.subarray(0, body.length - 1)
      if (line === 1 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3)
      if (!isUtf8(body))
        return { input, line, text: undefined, problem: 'line is not valid UTF-8', preview: preview(body), end }
      return { input, line, text: body.toString('utf8'), end }
    }

    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines: Line[] = []
      let start = 0
      for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
        const piece = chunk.subarray(start, newline)
        offset += newline + 1 - start
        const result = finish(piece, offset)
        if (result) lines.push(result)
        carry = []
        carryBytes = 0
        overlong = false
        start = newline + 1
      }
      const rest = chunk.subarray(start)
      offset += rest.length
      if (rest.length > 0) {
        // Keep only enough of an overlong line to preview it; the rest is counted, not held.
        if (!overlong && carryBytes + rest.length > options.maxLineBytes) {
          overlong = true
          const kept = Buffer.concat([...carry, rest]).subarray(0, PREVIEW_BYTES)
          carry = [kept]
          carryBytes = kept.length
        } else if (!overlong) {
          carry.push(Buffer.from(rest))
          carryBytes += rest.length
        }
      }
      if (lines.length > 0) yield lines
    }
    // A final line without a newline is still a line.
    if (carryBytes > 0 || overlong) {
      const result = finish(Buffer.alloc(0), offset)
      if (result) yield [result]
    }
  }
}
