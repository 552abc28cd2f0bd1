import type { LineContent } from './content'
import type { Piece } from './record'

/** A record numbered in its input: `seq` counts its records from 1, blank lines and elements of a line included. */
export interface Numbered<C> {
  input: number
  seq: number
  where: string
  content: C
}

const isElements = <C>(value: LineContent<C>): value is { kind: 'elements'; contents: C[] } =>
  (value as { kind?: unknown }).kind === 'elements'

/**
 * Numbers the records of pieces in the order read, once each piece's content is known (a line's, once it is
 * parsed): a line of elements gives a record per element, named `line N, element K`.
 */
export class Numbering {
  private readonly seqs: number[] = []

  add<C>(piece: Piece, content: LineContent<C>, into: Numbered<C>[]): void {
    const { input, where } = piece
    if (!isElements(content)) {
      into.push({ input, seq: this.next(input), where, content })
      return
    }
    content.contents.forEach((element, index) =>
      into.push({ input, seq: this.next(input), where: `${where}, element ${index + 1}`, content: element })
    )
  }

  private next(input: number): number {
    this.seqs[input] = (this.seqs[input] ?? 0) + 1
    return this.seqs[input]
  }
}
