import { isUtf8 } from 'node:buffer'
import type { SegmentEvent } from '@segment/actions-core'
import type { Origin, RecordContent } from './record'

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
  if (isPlainObject(value.deadLetter)) return deadLetterContent(value, value.deadLetter)
  return eventContent(value, text)
}

/**
 * A dead letter read again: the record it keeps (`raw` text, or `rawBase64` bytes that were not UTF-8,
 * which stay unreadable and are never sent altered), for the one subscription that rejected it, with
 * where the record first came from. Dead letters of earlier versions carry the parsed `event` instead.
 */
function deadLetterContent(letter: Record<string, unknown>, info: Record<string, unknown>): RecordContent {
  const origin = originOf(info)
  return { ...keptContent(letter, info), ...(origin ? { origin } : {}) }
}

function keptContent(letter: Record<string, unknown>, info: Record<string, unknown>): RecordContent {
  let content: RecordContent
  if (info.truncated === true) {
    // Only the first bytes of an overlong line were kept: never send them as if they were the event.
    const kept =
      typeof letter.rawBase64 === 'string'
        ? Buffer.from(letter.rawBase64, 'base64')
        : Buffer.from(typeof letter.raw === 'string' ? letter.raw : '')
    return { kind: 'unreadable', reason: 'a dead letter of a line too long to keep whole', raw: kept, truncated: true }
  }
  if (typeof letter.rawBase64 === 'string') {
    const bytes = Buffer.from(letter.rawBase64, 'base64')
    content = isUtf8(bytes)
      ? textContent(bytes.toString('utf8'))
      : { kind: 'unreadable', reason: 'line is not valid UTF-8', raw: bytes, truncated: false }
  } else if (typeof letter.raw === 'string') content = textContent(letter.raw)
  else if (isPlainObject(letter.event)) content = eventContent(letter.event, JSON.stringify(letter.event))
  else return unreadableText('a dead letter that keeps no record', JSON.stringify(letter))
  return content.kind === 'event' && typeof info.subscription === 'string'
    ? { ...content, only: info.subscription }
    : content
}

const originOf = ({ file, where, seq }: Record<string, unknown>): Origin | undefined =>
  typeof file === 'string' && typeof where === 'string' && typeof seq === 'number' ? { file, where, seq } : undefined

const eventContent = (event: Record<string, unknown>, text: string): RecordContent => ({
  kind: 'event',
  event: event as unknown as SegmentEvent,
  text
})

/** What a line holds: one record's content, or the records of its elements. */
export type LineContent<C = RecordContent> = C | { kind: 'elements'; contents: C[] }

/**
 * One NDJSON line (already checked to be UTF-8): blank, a batch payload (`{"batch": [...], ...}`), an
 * array of records when `arrayLines`, or a record.
 */
export function lineContent(text: string, arrayLines: boolean): LineContent {
  const parsed = parseText(text)
  if (!('value' in parsed)) return parsed
  const { value } = parsed
  if (arrayLines && Array.isArray(value)) return elementsContent(value as unknown[])
  if (isPlainObject(value) && Array.isArray(value.batch) && !isPlainObject(value.deadLetter))
    return elementsContent(value.batch as unknown[])
  return valueContent(value, text)
}

const elementsContent = (elements: unknown[]): LineContent => ({
  kind: 'elements',
  contents: elements.map((element) => valueContent(element, JSON.stringify(element)))
})

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
