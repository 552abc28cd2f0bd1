/** Events per second of readRecords on a 200,000-event export, as NDJSON and as one JSON array. */
import { createWriteStream, mkdtempSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { exportLines } from '../../scripts/sample-export'
import { readRecords } from '../../src/backfill/reading'

const COUNT = 200_000

async function write(file: string, pieces: Iterable<string>): Promise<void> {
  const out = createWriteStream(file)
  for (const piece of pieces) if (!out.write(piece)) await once(out, 'drain')
  out.end()
  await once(out, 'finish')
}

async function measure(label: string, file: string): Promise<void> {
  const started = process.hrtime.bigint()
  let events = 0
  for await (const chunk of readRecords([{ path: file }], { maxLineBytes: 1 << 20 }))
    for (const record of chunk) if (record.content.kind === 'event') events++
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  console.log(`${label}: ${events} events in ${seconds.toFixed(2)} s, ${Math.round(events / seconds)} events/s`)
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'reading-bench-'))
  const ndjson = path.join(dir, 'export.ndjson')
  const array = path.join(dir, 'export.json')
  await write(
    ndjson,
    (function* () {
      for (const line of exportLines({ count: COUNT })) yield `${line}\n`
    })()
  )
  await write(
    array,
    (function* () {
      let first = true
      for (const line of exportLines({ count: COUNT })) {
        yield `${first ? '[\n' : ',\n'}${line}`
        first = false
      }
      yield '\n]\n'
    })()
  )
  for (let run = 0; run < 2; run++) {
    await measure('NDJSON', ndjson)
    await measure('JSON array', array)
  }
}

void main()
