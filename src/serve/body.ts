import type { IncomingMessage } from 'node:http'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import type { SegmentEvent } from '@segment/actions-core'
import { z } from 'zod'

/** A request the relay refuses whole, sending none of it: the status and a message naming what is wrong. */
export class RequestError extends Error {
  override readonly name = 'RequestError'
  constructor(
    readonly status: 400 | 401 | 404 | 405 | 413 | 415 | 503,
    message: string
  ) {
    super(message)
  }
}

export interface BodyLimits {
  /** Bytes of a request body, decompressed (Segment's API takes 500 KB, RudderStack's 4,000 KB). */
  body: number
  /** Bytes of one event's JSON (Segment's API: 32 KB). */
  event: number
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { body: 4_000_000, event: 32_000 }

const unzip = promisify(gunzip)

/** The request's body, decompressed when sent with gzip, at most `limit` bytes. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const type = (request.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase()
  if (type !== 'application/json' && type !== 'text/plain' && !type.endsWith('+json'))
    throw new RequestError(415, `content-type ${type} is not JSON; send application/json`)
  const declared = Number(request.headers['content-length'])
  if (declared > limit) throw new RequestError(413, `the body is ${declared} bytes; at most ${limit} are taken`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > limit) throw new RequestError(413, `the body is over ${limit} bytes`)
    chunks.push(chunk as Buffer)
  }
  const body = Buffer.concat(chunks)
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase()
  if (encoding === 'identity') return body
  if (encoding !== 'gzip')
    throw new RequestError(415, `content-encoding ${encoding} is not supported; send gzip or none`)
  try {
    return await unzip(body, { maxOutputLength: limit })
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new RequestError(413, `the body is over ${limit} bytes decompressed`)
    throw new RequestError(400, `the body is not valid gzip (${(error as Error).message})`)
  }
}

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new RequestError(400, 'the body is empty; send a JSON event or a batch of them')
  if (body[0] === 0x1f && body[1] === 0x8b)
    throw new RequestError(400, 'the body is gzip: say so with the header Content-Encoding: gzip')
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (error) {
    // JSON.parse quotes the text around the fault, which may be an email address: only its position is said.
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    throw new RequestError(400, `the body is not JSON${position ? ` (at byte ${position})` : ''}`)
  }
}

/** The Segment HTTP Tracking API's single-event paths, by the event type each implies. */
export const SINGLE_EVENT_PATHS: Record<string, string> = {
  '/v1/track': 'track',
  '/v1/identify': 'identify',
  '/v1/page': 'page',
  '/v1/screen': 'screen',
  '/v1/group': 'group',
  '/v1/alias': 'alias'
}

/** Paths whose body is a batch: Segment's `{"batch": [...]}` (`/v1/batch`, `/v1/import`), or webhooks' events. */
export const BATCH_PATHS = new Set(['/v1/batch', '/v1/import'])
export const WEBHOOK_PATH = '/v1/events'

const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const

const jsonObject = z.record(z.string(), z.unknown())

/**
 * What the relay needs of an event: a Segment type (mParticle's own batch format, say, has none: refused, not
 * passed on as matching no subscription) and, when given, a string messageId. The rest is the mapping's.
 */
const eventSchema = z.looseObject(
  {
    type: z.enum(EVENT_TYPES, {
      error: (issue) =>
        issue.input === undefined
          ? `missing: a Segment-spec event has a type, one of ${EVENT_TYPES.join(', ')}`
          : `${JSON.stringify(issue.input)} is not a Segment event type (${EVENT_TYPES.join(', ')})`
    }),
    messageId: z.string().optional(),
    context: jsonObject.optional()
  },
  { error: 'not a JSON object' }
)

const batchSchema = z.looseObject(
  { batch: z.array(z.unknown(), { error: 'the body has no "batch" array' }), context: jsonObject.optional() },
  { error: 'the body is not a JSON object' }
)

/** The first problem zod found, as `where: what`. */
function problemOf(error: z.ZodError, where: string): string {
  const [issue] = error.issues
  const key = issue.path.length > 0 ? `.${issue.path.join('.')}` : ''
  return `${where}${key}: ${issue.message}`
}

/** An element of a request: an event, or what is wrong with it (it is not sent; the others still are). */
export type BodyEvent =
  { index: number; event: SegmentEvent; bytes: number } | { index: number; problem: string; raw: unknown }

/**
 * The events a request carries, as the path says: one event of the path's type, a Segment batch (whose
 * top-level `context` each event extends), or a webhook's event or JSON array of events. An element that is no
 * Segment-spec event is refused alone, so that a CDP that drops a refused request loses none of the others; a
 * request with no event at all is refused whole, as is one with an event over the size limit.
 */
export function eventsOf(path: string, json: unknown, limits: BodyLimits): BodyEvent[] {
  let elements: unknown[]
  if (path in SINGLE_EVENT_PATHS) {
    elements = [jsonObject.safeParse(json).success ? { type: SINGLE_EVENT_PATHS[path], ...(json as object) } : json]
  } else if (BATCH_PATHS.has(path)) {
    const parsed = batchSchema.safeParse(json)
    if (!parsed.success) throw new RequestError(400, problemOf(parsed.error, `${path} takes {"batch": [events]}`))
    const { batch, context } = parsed.data
    elements = context ? batch.map((event) => withContext(event, context)) : batch
  } else {
    elements = Array.isArray(json) ? json : [json]
  }
  if (elements.length === 0) throw new RequestError(400, 'the body holds no events')
  const events = elements.map((element, index): BodyEvent => {
    const bytes = Buffer.byteLength(JSON.stringify(element) ?? '')
    if (bytes > limits.event)
      throw new RequestError(413, `event ${index}: ${bytes} bytes; an event may have at most ${limits.event}`)
    const parsed = eventSchema.safeParse(element)
    // The event as it came (zod's copy would reorder its keys): checked, not rewritten.
    if (parsed.success) return { index, event: element as SegmentEvent, bytes }
    return { index, problem: problemOf(parsed.error, `event ${index}`), raw: element }
  })
  const firstEvent = events.find((entry) => 'event' in entry)
  if (!firstEvent) throw new RequestError(400, (events[0] as { problem: string }).problem)
  return events
}

/** A batch's shared `context` under the event's own. */
function withContext(event: unknown, context: Record<string, unknown>): unknown {
  const parsed = eventSchema.safeParse(event)
  return parsed.success ? { ...(event as object), context: { ...context, ...parsed.data.context } } : event
}
