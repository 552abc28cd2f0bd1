import { ErrorCodes, IntegrationError } from '@segment/actions-core'
import type { RequestClient } from '@segment/actions-core'
import {
  API_REQUEST_OPTIONS,
  eventConfigurationsUrl,
  eventConfigurationUrl,
  eventsUrl,
  describeFailure,
  getResource,
  parseApiResponse,
  readJson
} from './api'
import { coerceDataFields } from './coerce'
import type { SchemaAttrs } from './coerce'
import { parseEventConfigurationList, parseEventDetail, parseEventPostResponse } from './contract'
import type { ListrakEvent } from './contract'
import type { Endpoints } from './endpoints'
import { findEventUID } from './event-configurations'
import { normalizeIdentifiers } from './identifiers'
import type { IdentifierInput } from './identifiers'
import { failure, mapRecipientResults, withWarnings } from './results'
import type { EventResult } from './results'
import { ExpiringCache } from './schema-cache'

export interface SendPayload extends IdentifierInput {
  /** An eventUID, or the name of an event configuration (see findEventUID). */
  eventUID: string
  dataFields?: Record<string, unknown>
  batch_bytes?: number
}

/** Listrak's own limit is not published; 4 MB is Segment's default batch byte bound. */
export const DEFAULT_BATCH_BYTES = 4_000_000
const SCHEMA_TTL_MS = 5 * 60 * 1000
/**
 * The event configurations payloads name, with their schemas: bounded, for five minutes, and keyed
 * by the subscription (see cacheKey), never by a secret. Tokens are not kept here: actions-core keeps
 * them (`settings.oauth`) and the request client carries them.
 */
const eventCache = new ExpiringCache<EventTarget>(SCHEMA_TTL_MS, 2000)

/** Whose entries a call may read: Segment's subscription (`actionConfigId`) or, without one, the account. */
export interface CacheScope {
  actionConfigId?: string
  clientId: string
}

/**
 * In Segment every subscription has an actionConfigId, one workspace's own: an entry is never read by
 * another workspace. Without one (the package's own pipelines, one configuration's account per process)
 * the scope is the account's client_id, an identifier rather than a secret.
 */
function cacheKey(endpoints: Endpoints, scope: CacheScope, key: string): string {
  const owner = scope.actionConfigId ? `subscription:${scope.actionConfigId}` : `client:${scope.clientId}`
  return [endpoints.apiUrl, owner, key].join('\u0000')
}

/** The event configuration a payload's eventUID field names: its eventUID and its schema. */
interface EventTarget {
  eventUID: string
  schema: SchemaAttrs
}

const BODY_PREFIX = '{"events":['
const BODY_SUFFIX = ']}'

interface PreparedEvent {
  index: number
  event: ListrakEvent
  warnings: string[]
}

/** The events of one request and its body. */
interface Chunk {
  items: PreparedEvent[]
  body: string
}

/**
 * The one path from mapped payloads to Listrak: group by eventUID, load each event's schema
 * (cached), normalise identifiers, coerce dataFields, post bodies within the byte bound and map
 * Listrak's per-recipient answer back. It returns a result for every payload, in order.
 */
export async function sendCustomEvents(
  request: RequestClient,
  endpoints: Endpoints,
  scope: CacheScope,
  payloads: SendPayload[]
): Promise<EventResult[]> {
  const results: EventResult[] = new Array<EventResult>(payloads.length)
  const indicesByEvent = new Map<string, number[]>()
  payloads.forEach((payload, index) => {
    const indices = indicesByEvent.get(payload.eventUID)
    if (indices) indices.push(index)
    else indicesByEvent.set(payload.eventUID, [index])
  })
  for (const [eventUID, indices] of indicesByEvent) {
    await sendToEvent(request, endpoints, scope, eventUID, indices, payloads, results)
  }
  return results
}

async function sendToEvent(
  request: RequestClient,
  endpoints: Endpoints,
  scope: CacheScope,
  eventUID: string,
  indices: number[],
  payloads: SendPayload[],
  results: EventResult[]
): Promise<void> {
  let target: EventTarget
  try {
    target = await loadEvent(request, endpoints, scope, eventUID)
  } catch (error) {
    const result = failureFromError(error)
    for (const index of indices) results[index] = result
    return
  }

  const prepared: PreparedEvent[] = []
  for (const index of indices) {
    const payload = payloads[index]
    const identifiers = normalizeIdentifiers(payload)
    if (!identifiers.ok) {
      results[index] = failure(400, identifiers.message, { errortype: ErrorCodes.PAYLOAD_VALIDATION_FAILED })
      continue
    }
    const dataFields = coerceDataFields(payload.dataFields, target.schema)
    if (!dataFields.ok) {
      results[index] = failure(400, dataFields.message, { errortype: ErrorCodes.PAYLOAD_VALIDATION_FAILED })
      continue
    }
    const event: ListrakEvent = { identifiers: identifiers.identifiers, dataFields: dataFields.dataFields }
    // A mapped key the schema lacks (a typo, say) is left out, as Listrak would discard it: say so.
    const warnings =
      dataFields.ignored.length > 0
        ? [
            ...identifiers.warnings,
            ...dataFields.ignored.map(
              (key) => `dataFields.${key} is not a field of the event configuration's schema; it was left out.`
            )
          ]
        : identifiers.warnings
    prepared.push({ index, event, warnings })
  }

  const maxBytes = payloads[indices[0]].batch_bytes ?? DEFAULT_BATCH_BYTES
  for (const chunk of chunkByBytes(prepared, maxBytes, results)) {
    const chunkResults = await postEvents(request, endpoints, target.eventUID, chunk)
    chunk.items.forEach((item, k) => (results[item.index] = withWarnings(chunkResults[k], item.warnings)))
  }
}

/**
 * Splits events into request bodies of at most `maxBytes`; an event too large on its own fails alone. Most
 * batches fit in one body: it is written in one go, and each event is written on its own only when it does not.
 */
function chunkByBytes(prepared: PreparedEvent[], maxBytes: number, results: EventResult[]): Chunk[] {
  if (prepared.length === 0) return []
  const whole = JSON.stringify({ events: prepared.map((item) => item.event) })
  if (Buffer.byteLength(whole) <= maxBytes) return [{ items: prepared, body: whole }]

  const chunks: Chunk[] = []
  let items: PreparedEvent[] = []
  let jsons: string[] = []
  const push = () => chunks.push({ items, body: BODY_PREFIX + jsons.join(',') + BODY_SUFFIX })
  let size = BODY_PREFIX.length + BODY_SUFFIX.length
  for (const item of prepared) {
    const json = JSON.stringify(item.event)
    const bytes = Buffer.byteLength(json)
    if (bytes + BODY_PREFIX.length + BODY_SUFFIX.length > maxBytes) {
      results[item.index] = failure(413, `The event is ${bytes} bytes as JSON, more than batch_bytes (${maxBytes}).`, {
        sent: item.event
      })
      continue
    }
    const added = bytes + (items.length > 0 ? 1 : 0)
    if (items.length > 0 && size + added > maxBytes) {
      push()
      items = []
      jsons = []
      size = BODY_PREFIX.length + BODY_SUFFIX.length
    }
    size += items.length > 0 ? bytes + 1 : bytes
    items.push(item)
    jsons.push(json)
  }
  if (items.length > 0) push()
  return chunks
}

async function postEvents(
  request: RequestClient,
  endpoints: Endpoints,
  eventUID: string,
  chunk: Chunk
): Promise<EventResult[]> {
  const events = chunk.items.map((item) => item.event)
  let response
  try {
    response = await request(eventsUrl(endpoints, eventUID), {
      ...API_REQUEST_OPTIONS,
      method: 'post',
      headers: { 'content-type': 'application/json' },
      body: chunk.body
    })
  } catch (error) {
    const result = failureFromError(error)
    return events.map((event) => ({ ...result, sent: event }))
  }

  const body = readJson(response)
  if (response.status >= 200 && response.status < 300) {
    // A 2xx without a readable body still means Listrak took the request.
    return mapRecipientResults(events, parseEventPostResponse(body) ?? {}, response.status)
  }
  const message =
    response.status === 401 ? 'Listrak rejected the access token (HTTP 401).' : describeFailure(response.status, body)
  return events.map((event) => failure(response.status, message, { sent: event, body: response.content }))
}

/** The event configuration `key` names (an eventUID or a name) and its schema, cached per subscription and key. */
function loadEvent(request: RequestClient, endpoints: Endpoints, scope: CacheScope, key: string): Promise<EventTarget> {
  return eventCache.get(cacheKey(endpoints, scope, key), async () => {
    const eventUID = await findEventUID(
      key,
      async () => (await getResource(request, eventConfigurationsUrl(endpoints), parseEventConfigurationList)).data
    )
    const response = await request(eventConfigurationUrl(endpoints, eventUID), {
      ...API_REQUEST_OPTIONS,
      method: 'get'
    })
    if (response.status === 404) throw notFound(key)
    return { eventUID, schema: parseApiResponse(response, parseEventDetail).data.eventSchemaAttrs }
  })
}

function notFound(key: string): IntegrationError {
  return new IntegrationError(
    `Listrak has no event configuration with eventUID "${key}" (HTTP 404).`,
    ErrorCodes.NOT_FOUND,
    404
  )
}

/**
 * An error instead of an answer: a status-bearing error keeps its status; no HTTP answer at all
 * (a timeout, a refused or reset connection) is worth retrying.
 */
function failureFromError(error: unknown): EventResult {
  const { status, code, message } = error as { status?: unknown; code?: string; message?: string }
  if (typeof status === 'number') return failure(status, message ?? `HTTP ${status}`)
  if (code === 'ETIMEDOUT') return failure(408, `The request to Listrak timed out: ${message ?? 'no answer'}`)
  const cause = (error as { cause?: { code?: string } }).cause?.code
  return failure(503, `Could not reach Listrak: ${code ?? cause ?? message ?? String(error)}`, {
    errortype: ErrorCodes.RETRYABLE_ERROR
  })
}
