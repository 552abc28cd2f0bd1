import { createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'
import type { DeadLetter } from './records'

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
