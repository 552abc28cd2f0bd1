/**
 * Stage 1, the floor: read the export, split lines, JSON.parse each one, nothing else.
 * Prints {"events": n, "ms": t} on stdout.
 */
import { createReadStream } from 'node:fs'

async function main(file: string): Promise<void> {
  const started = performance.now()
  let events = 0
  let carry = ''
  for await (const chunk of createReadStream(file, {
    encoding: 'utf8',
    highWaterMark: 1 << 20
  }) as AsyncIterable<string>) {
    const lines = (carry + chunk).split('\n')
    carry = lines.pop() ?? ''
    for (const line of lines) {
      if (line.length === 0) continue
      JSON.parse(line)
      events++
    }
  }
  if (carry.length > 0) {
    JSON.parse(carry)
    events++
  }
  process.stdout.write(`${JSON.stringify({ events, ms: performance.now() - started })}\n`)
}

void main(process.argv[2])
