import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import type { InputSpec } from './record'

export interface SourceOptions {
  stdin?: Readable
  /** Called with the number of raw (possibly compressed) bytes read, for progress. */
  onBytes?: (bytes: number) => void
}

const GZIP_MAGIC = [0x1f, 0x8b]
const READ_CHUNK_BYTES = 1 << 17

const isStdin = (spec: InputSpec): boolean => spec.path === '-'
const isGzipName = (path: string): boolean => path.endsWith('.gz')

/** The input's bytes, gunzipped when it is gzip (a file by its name, stdin by its first two bytes). */
export async function openBytes(spec: InputSpec, options: SourceOptions): Promise<Readable> {
  if (isStdin(spec)) {
    const { gzip, stream } = await sniffGzip(options.stdin ?? process.stdin)
    countBytes(stream, options)
    return gzip ? gunzip(stream) : stream
  }
  const raw = createReadStream(spec.path, { highWaterMark: READ_CHUNK_BYTES })
  countBytes(raw, options)
  return isGzipName(spec.path) ? gunzip(raw) : raw
}

/** Gunzip, passing on an error of the compressed stream (pipe alone would not). */
function gunzip(stream: Readable): Readable {
  const gunzipped = createGunzip({ chunkSize: READ_CHUNK_BYTES })
  stream.on('error', (error) => gunzipped.destroy(error))
  return stream.pipe(gunzipped)
}

function countBytes(stream: Readable, options: SourceOptions): void {
  const { onBytes } = options
  if (onBytes) stream.on('data', (chunk: Buffer) => onBytes(chunk.length))
}

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
