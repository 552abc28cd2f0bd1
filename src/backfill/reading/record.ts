import type { SegmentEvent } from '@segment/actions-core'

/** Where a replayed dead letter's record first came from, as the letter says. */
export interface Origin {
  file: string
  where: string
  seq: number
}

/** What one record of an input holds. */
export type RecordContent =
  | { kind: 'blank' }
  /**
   * `text` is the record's JSON as read (an NDJSON line), kept for dead letters. `only` names the one
   * subscription a replayed dead letter is for: the others accepted it before. `origin`: see Origin.
   */
  | { kind: 'event'; event: SegmentEvent; text: string; only?: string; origin?: Origin }
  /**
   * Not an event: broken JSON, not an object, too long, not UTF-8. `raw` holds the bytes as read (at most a
   * prefix when too long). `rest`: a JSON document broke here, and its input was not read from byte `from`
   * on (`bytes` of it, `raw` their first ones).
   */
  | {
      kind: 'unreadable'
      reason: string
      raw: Buffer
      truncated: boolean
      rest?: { from: number; bytes: number }
      origin?: Origin
    }

/**
 * An NDJSON line as read (UTF-8, checked), not parsed yet: one record, or the elements of a batch payload (or,
 * with `arrayLines`, of an array). `bytes` is a view of the chunk read: off the V8 heap.
 */
export interface Line {
  kind: 'line'
  bytes: Buffer
  arrayLines: boolean
}

/**
 * What a reader finds, before records are numbered: a line whose JSON is parsed later (in a worker thread, when
 * the backfill has some), or a record's content (unreadable bytes; a JSON array's element, parsed by the scanner
 * that finds where it ends).
 */
export interface Piece {
  input: number
  /** `line 12`, `element 5`: a line's elements add `, element N`. */
  where: string
  content: Line | RecordContent
}

/** One record of an input: an NDJSON line, or one element of a JSON array or batch payload. */
export interface SourceRecord {
  input: number
  /**
   * The record's ordinal in its input, from 1. Every NDJSON line counts, blank ones too, so for NDJSON it is
   * the line number. Checkpoints store it; a resume does not send records up to it again.
   */
  seq: number
  /** Where a person finds the record in the file: `line 12`, `element 5`, `line 3, element 2`. */
  where: string
  content: RecordContent
}

/**
 * What is kept of a record while its event is in flight: where it is, and what a dead letter writes. An
 * event's parsed form is not needed for that, and worker threads parse it themselves; its JSON is kept as UTF-8
 * bytes (`json`), off the V8 heap, so that the young generation's collections do not copy it again and again.
 */
export interface KeptRecord extends Omit<SourceRecord, 'content'> {
  content: Exclude<RecordContent, { kind: 'event' }> | { kind: 'event'; json: Buffer; only?: string; origin?: Origin }
}

export interface InputSpec {
  /** A file path, or '-' for standard input. */
  path: string
}
