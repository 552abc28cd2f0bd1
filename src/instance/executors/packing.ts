import { Buffer } from 'node:buffer'

/** Pieces of UTF-8 in one buffer, so that they cross to a worker thread in one copy: piece i ends at ends[i]. */
export interface Packed {
  bytes: Uint8Array
  ends: number[]
}

export function pack(pieces: readonly Buffer[]): Packed {
  const ends: number[] = []
  let end = 0
  for (const piece of pieces) ends.push((end += piece.length))
  return { bytes: Buffer.concat(pieces, end), ends }
}

/** The texts of a packed buffer, in order; a Buffer that crossed threads is a Uint8Array, read where it lies. */
export function unpackTexts({ bytes: view, ends }: Packed): string[] {
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength)
  return ends.map((end, index) => bytes.toString('utf8', ends[index - 1] ?? 0, end))
}
