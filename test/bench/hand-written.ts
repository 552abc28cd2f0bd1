/**
 * Stage 2, the best a custom script could do: parse, map with plain code, batch, POST to the API
 * with the same concurrency, nothing else (no validation, no retries, no checkpoints, no dead
 * letters). Prints {"events": n, "ms": t} on stdout.
 *
 * node hand-written.js FILE API_URL TOKEN_URL EVENT_UID CONCURRENCY BATCH_SIZE
 */
import { createReadStream } from 'node:fs'
import { map, post, simulatorToken } from './hand-mapping'
import type { SegmentLike } from './hand-mapping'

async function main([file, apiUrl, tokenUrl, eventUID, concurrencyText, batchSizeText]: string[]): Promise<void> {
  const concurrency = Number(concurrencyText)
  const batchSize = Number(batchSizeText)
  const token = await simulatorToken(tokenUrl)
  const url = new URL(`${apiUrl}/eventConfigurations/${eventUID}/events`)
  const started = performance.now()
  const inFlight = new Set<Promise<void>>()
  let batch: unknown[] = []
  let events = 0
  const flush = async () => {
    const sending = post(url, token, JSON.stringify({ events: batch }))
    batch = []
    inFlight.add(sending)
    void sending.finally(() => inFlight.delete(sending))
    if (inFlight.size >= concurrency) await Promise.race(inFlight)
  }
  let carry = ''
  for await (const chunk of createReadStream(file, {
    encoding: 'utf8',
    highWaterMark: 1 << 20
  }) as AsyncIterable<string>) {
    const lines = (carry + chunk).split('\n')
    carry = lines.pop() ?? ''
    for (const line of lines) {
      if (line.length === 0) continue
      batch.push(map(JSON.parse(line) as SegmentLike))
      events++
      if (batch.length === batchSize) await flush()
    }
  }
  if (batch.length > 0) await flush()
  await Promise.all(inFlight)
  process.stdout.write(`${JSON.stringify({ events, ms: performance.now() - started })}\n`)
}

void main(process.argv.slice(2))
