import { createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'

/** What a dead-letter line holds besides the event: where it came from, which subscription failed it, and why. */
export interface DeadLetterInfo {
  file: string
  /** Where a person finds the record: `line 12`, `element 5`. */
  where: string
  seq: number
  /** The subscription that rejected the event; null for a record that is not an event. */
  subscription: string | null
  status: number | null
  reason: string
  at: string
}

/** A dead-letter line: the original event, or the raw text of a record that was not an event. */
export type DeadLetter = { deadLetter: DeadLetterInfo } & ({ event: unknown } | { raw: string })

/** Appends dead letters as NDJSON; `flush` resolves once everything written so far has reached the file. */
export class DeadLetterWriter {
  private stream: WriteStream | undefined
  count = 0

  /** The file is created with the first dead letter, so a clean run leaves none behind. */
  constructor(readonly path: string) {}

  write(letter: DeadLetter): void {
    this.count++
    this.stream ??= createWriteStream(this.path, { flags: 'a' })
    this.stream.write(`${JSON.stringify(letter)}\n`)
  }

  flush(): Promise<void> {
    const stream = this.stream
    if (!stream) return Promise.resolve()
    return new Promise((resolve, reject) => stream.write('', (error) => (error ? reject(error) : resolve())))
  }

  async close(): Promise<void> {
    const stream = this.stream
    if (!stream) return
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve()))
    )
  }
}
