import { createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'
import type { Rejection } from './relay'

/**
 * Appends the events the relay rejected for good, as NDJSON dead letters a backfill reads again (`raw` is the
 * event, `deadLetter.subscription` the only subscription a replay sends it to).
 */
export class RelayDeadLetters {
  private readonly stream: WriteStream
  private written = 0

  constructor(
    readonly path: string,
    onError: (error: Error) => void
  ) {
    this.stream = createWriteStream(path, { flags: 'a' }).on('error', onError)
  }

  write({ requestId, event, index, subscription, code, reason }: Rejection): void {
    // Where it came from, as a backfill's dead letter says it: a replay keeps it, and checks the subscription.
    const deadLetter = {
      file: 'relay',
      where: `request ${requestId}, event ${index}`,
      seq: ++this.written,
      subscription,
      status: code,
      reason,
      run: 'relay',
      at: new Date().toISOString()
    }
    this.stream.write(`${JSON.stringify({ deadLetter, raw: JSON.stringify(event) ?? '' })}\n`)
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve))
  }
}
