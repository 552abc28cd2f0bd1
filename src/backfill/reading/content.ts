import type { SegmentEvent } from '@segment/actions-core'
import type { RecordContent } from './record'

const BLANK: RecordContent = { kind: 'blank' }

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** What a JSON value is, in words, for a reason: `an array`, `a string`, `null`. */
function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  const type = typeof value
  return type === 'object' ? 'an object' : `a ${type}`
}

const unreadableText = (reason: string, text: string): RecordContent => ({
  kind: 'unreadable',
  reason,
  raw: Buffer.from(text, 'utf8'),
  truncated: false
})

/**
 * A JSON value read from an input as a record's content; `text` is its JSON as read. A dead-letter
 * line (`{"deadLetter": {...}, "event": {...}}` or `{"deadLetter": {...}, "raw": "..."}`) is read as
 * what it carries, so that a dead-letter file can be fed back to the backfill as it is (a raw line,
 * perhaps fixed by hand, is parsed again).
 */
export function valueContent(value: unknown, text: string): RecordContent {
  if (!isPlainObject(value)) return unreadableText(`not a JSON object (${describeValue(value)})`, text)
  if (isPlainObject(value.deadLetter)) {
    if (isPlainObject(value.event)) return eventContent(value.event, JSON.stringify(value.event))
    if (typeof value.raw === 'string') return textContent(value.raw)
  }
  return eventContent(value, text)
}

const eventContent = (event: Record<string, unknown>, text: string): RecordContent => ({
  kind: 'event',
  event: event as unknown as SegmentEvent,
  text
})

/** A line's JSON: a Segment batch payload's elements, or one record's content. */
export type LineContent = RecordContent | { kind: 'batch'; elements: unknown[] }

/** One NDJSON line (already checked to be UTF-8): blank, a batch payload (`{"batch": [...], ...}`) or a record. */
export function lineContent(text: string): LineContent {
  const parsed = parseText(text)
  if (!('value' in parsed)) return parsed
  const { value } = parsed
  if (isPlainObject(value) && Array.isArray(value.batch) && !isPlainObject(value.deadLetter))
    return { kind: 'batch', elements: value.batch as unknown[] }
  return valueContent(value, text)
}

/** The raw line of a dead letter, read again as one record. */
function textContent(text: string): RecordContent {
  const parsed = parseText(text)
  return 'value' in parsed ? valueContent(parsed.value, text) : parsed
}

function parseText(text: string): RecordContent | { value: unknown } {
  if (text.trim() === '') return BLANK
  try {
    return { value: JSON.parse(text) }
  } catch (error) {
    return unreadableText(`not valid JSON (${(error as Error).message})`, text)
  }
}
