// Loaded by worker threads: it imports only what parsing and routing a line need.
import { Buffer } from 'node:buffer'
import type { SegmentEvent } from '@segment/actions-core'
import { routingOf } from '../../instance/routes'
import type { Route, Routing } from '../../instance/routes'
import type { Preparation } from '../../instance/preparation'
import { lineContent } from './content'
import type { LineContent } from './content'
import type { LineText, Origin, RecordContent } from './record'

/** An event as the backfill takes it: what routing and deduplication need, and what a dead letter writes. */
export interface RoutedEvent extends Routing {
  kind: 'event'
  /** The record's JSON. A worker thread leaves it out when it is its line's text, which the reader has. */
  text?: string
  only?: string
  origin?: Origin
  /** The event's messageId, when it is a string. */
  messageId?: string
  /** The parsed event, when it was prepared in the thread that sends it (none: a worker parses the text again). */
  event?: SegmentEvent
}

export type PreparedContent = Exclude<RecordContent, { kind: 'event' }> | RoutedEvent

/** A record's content as the backfill takes it, its text restored. */
export type TakenContent = Exclude<RecordContent, { kind: 'event' }> | (RoutedEvent & { text: string })

/** Parses NDJSON lines and routes their events (see PreparationRecipe): in a worker thread, or in this one. */
export const prepareLines: Preparation<LineText, LineContent<PreparedContent>> = (lines, routes, inWorker) =>
  lines.map((line) => {
    const content = lineContent(line)
    if (content.kind !== 'elements') return routed(content, routes, !inWorker, line.text)
    return { kind: 'elements', contents: content.contents.map((element) => routed(element, routes, !inWorker)) }
  })

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
  if (keepEvent || text !== lineText) prepared.text = text
  if (keepEvent) prepared.event = event
  if (only !== undefined) prepared.only = only
  if (origin !== undefined) prepared.origin = origin
  if (typeof event.messageId === 'string') prepared.messageId = event.messageId
  return prepared
}

/**
 * A prepared content as the backfill takes it: the text a worker left out restored from its line (in place: the
 * content is the caller's own), and bytes that crossed threads (a Uint8Array then) a Buffer again.
 */
export function taken(content: PreparedContent, lineText?: string): TakenContent {
  if (content.kind === 'event') {
    content.text ??= lineText
    if (content.text === undefined) throw new Error('an event prepared without its text')
    return content as TakenContent
  }
  if (content.kind === 'unreadable' && !Buffer.isBuffer(content.raw)) {
    const { buffer, byteOffset, byteLength } = content.raw as Uint8Array
    return { ...content, raw: Buffer.from(buffer, byteOffset, byteLength) }
  }
  return content
}
