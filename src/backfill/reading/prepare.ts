// Loaded by worker threads: it imports only what parsing and routing a line need.
import { Buffer } from 'node:buffer'
import type { SegmentEvent } from '@segment/actions-core'
import { routingOf } from '../../instance/routes'
import type { Route, Routing } from '../../instance/routes'
import type { Preparation } from '../../instance/preparation'
import { pack, unpackTexts } from '../../instance/executors/packing'
import type { Packed } from '../../instance/executors/packing'
import { lineContent } from './content'
import type { LineContent } from './content'
import type { Line, Origin, RecordContent } from './record'

/** Lines of one input, packed to cross to a worker thread in one copy. */
export interface PackedLines extends Packed {
  arrayLines: boolean
}

/** An event as the backfill takes it: what routing and deduplication need, and what a dead letter writes. */
export interface RoutedEvent extends Routing {
  kind: 'event'
  /** The record's JSON, left out when it is its line's (which the reader has): not a batch payload's element. */
  text?: string
  only?: string
  origin?: Origin
  /** The event's messageId, when it is a string. */
  messageId?: string
  /** The parsed event, when it was prepared in the thread that sends it (none: a worker parses it again). */
  event?: SegmentEvent
}

export type PreparedContent = Exclude<RecordContent, { kind: 'event' }> | RoutedEvent

/** A record's content as the backfill takes it: an event's JSON as UTF-8 bytes. */
export type TakenContent = Exclude<RecordContent, { kind: 'event' }> | (RoutedEvent & { json: Buffer })

/** The lines of one input, packed for preparePacked. */
export const packLines = (lines: readonly Line[]): PackedLines => ({
  ...pack(lines.map(({ bytes }) => bytes)),
  arrayLines: lines[0]?.arrayLines ?? false
})

/** Parses packed NDJSON lines and routes their events (see PreparationRecipe): in a worker thread, or in this one. */
export const preparePacked: Preparation<PackedLines, LineContent<PreparedContent>[]> = (packs, routes, inWorker) =>
  packs.map((packed) =>
    unpackTexts(packed).map((text) => {
      const content = lineContent(text, packed.arrayLines)
      if (content.kind !== 'elements') return routed(content, routes, !inWorker, text)
      return { kind: 'elements', contents: content.contents.map((element) => routed(element, routes, !inWorker)) }
    })
  )

/** A record's content with its event routed; `keepEvent` keeps the parsed event. */
export function routed(
  content: RecordContent,
  routes: readonly Route[],
  keepEvent: boolean,
  lineText?: string
): PreparedContent {
  if (content.kind !== 'event') return content
  const { event, text, only, origin } = content
  const prepared: RoutedEvent = { kind: 'event', ...routingOf(routes, event) }
  if (text !== lineText) prepared.text = text
  if (keepEvent) prepared.event = event
  if (only !== undefined) prepared.only = only
  if (origin !== undefined) prepared.origin = origin
  if (typeof event.messageId === 'string') prepared.messageId = event.messageId
  return prepared
}

/**
 * A prepared content as the backfill takes it (in place: the content is the caller's own): an event's JSON as
 * bytes, its line's when it is the line's; bytes that crossed threads (a Uint8Array then) a Buffer again.
 */
export function taken(content: PreparedContent, line?: Buffer): TakenContent {
  if (content.kind === 'event') {
    const json = content.text === undefined ? line : Buffer.from(content.text)
    if (json === undefined) throw new Error('an event prepared without its JSON')
    const event = content as RoutedEvent & { json: Buffer }
    event.json = json
    return event
  }
  if (content.kind === 'unreadable' && !Buffer.isBuffer(content.raw)) {
    const { buffer, byteOffset, byteLength } = content.raw as Uint8Array
    return { ...content, raw: Buffer.from(buffer, byteOffset, byteLength) }
  }
  return content
}
