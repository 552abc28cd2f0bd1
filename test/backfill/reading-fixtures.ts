import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { readRecords } from '../../src/backfill/reading'
import type { InputSpec, SourceRecord } from '../../src/backfill/reading'

const dir = mkdtempSync(path.join(tmpdir(), 'reading-'))
let files = 0

/** Writes `content` to a new file in a temporary directory and returns its path. */
export function file(content: string | Buffer, name = `input-${files}.ndjson`): string {
  const target = path.join(dir, `${files++}-${name}`)
  writeFileSync(target, content)
  return target
}

export async function collect(inputs: InputSpec[], maxLineBytes = 1 << 20, stdin?: Readable): Promise<SourceRecord[]> {
  const records: SourceRecord[] = []
  for await (const chunk of readRecords(inputs, { maxLineBytes, stdin })) records.push(...chunk)
  return records
}

/** A record in a few words: where it is, and its event's text, its kind, or why it is unreadable. */
export function summary({ input, seq, where, content }: SourceRecord): [number, number, string, string] {
  const what = content.kind === 'event' ? content.text : content.kind === 'blank' ? '(blank)' : `! ${content.reason}`
  return [input, seq, where, what]
}
