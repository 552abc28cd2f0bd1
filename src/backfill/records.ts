import type { SegmentEvent } from '@segment/actions-core'

/** What a dead-letter line holds besides the event: where it came from and why it failed. */
export interface DeadLetterInfo {
  file: string
  line: number
  status: number | null
  reason: string
  at: string
}

/** A dead-letter line: the original event, or the raw text of a line that was not an event. */
export type DeadLetter = { deadLetter: DeadLetterInfo } & ({ event: SegmentEvent } | { raw: string })

export type ParsedLine =
  { kind: 'blank' } | { kind: 'event'; event: SegmentEvent } | { kind: 'malformed'; reason: string; raw: string }

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function describeJsonError(error: unknown): string {
  return `not valid JSON (${(error as Error).message})`
}

/**
 * Reads one line as a Segment event. Dead-letter lines are read as the event they carry, so that a
 * dead-letter file can be fed back to the backfill as it is (a raw line, perhaps fixed by hand, is
 * parsed again).
 */
export function parseLine(text: string): ParsedLine {
  if (text.trim() === '') return { kind: 'blank' }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { kind: 'malformed', reason: describeJsonError(error), raw: text }
  }
  if (!isPlainObject(value)) return { kind: 'malformed', reason: 'not a JSON object', raw: text }
  if (isPlainObject(value.deadLetter)) {
    if (isPlainObject(value.event)) return { kind: 'event', event: value.event as unknown as SegmentEvent }
    if (typeof value.raw === 'string') return parseLine(value.raw)
  }
  return { kind: 'event', event: value as unknown as SegmentEvent }
}
