import { Destination, transform } from '@segment/actions-core'
import type { DestinationDefinition, JSONObject, SegmentEvent } from '@segment/actions-core'
import { parseFql, validate } from '@segment/destination-subscriptions'
import type { AttributeType } from '../../destinations/listrak-cross-channel/contract'
import { coerceValue } from '../../destinations/listrak-cross-channel/coerce'
import { normalizeIdentifiers } from '../../destinations/listrak-cross-channel/identifiers'
import { startCaptureProxy } from '../backfill/capture-proxy'
import type { CapturedRequest } from '../backfill/capture-proxy'
import { parseLine } from '../backfill/records'

export type ProblemKind =
  | 'unreadable'
  | 'missing-identifier'
  | 'invalid-identifier'
  | 'will-not-coerce'
  | 'not-in-schema'
  | 'never-mapped'
  | 'unknown-event'
  | 'rejected'

/** Problems that stop an event; the others (an unknown key, a field with no value) only lose data. */
const BLOCKING = new Set<ProblemKind>([
  'unreadable',
  'missing-identifier',
  'invalid-identifier',
  'will-not-coerce',
  'unknown-event',
  'rejected'
])

export interface Problem {
  field: string
  kind: ProblemKind
  message: string
}

export interface PreviewedEvent {
  line: number
  /** `type` and `event` name of the CDP event, for orientation. */
  label: string
  outcome: 'would-send' | 'filtered' | 'rejected'
  /** The action's payload, as the mapping makes it. */
  payload?: JSONObject
  /** The exact body the destination would POST (identifiers and dataFields after coercion). */
  requestBody?: unknown
  status?: number
  problems: Problem[]
}

export interface PreviewSummary {
  events: number
  wouldSend: number
  filtered: number
  rejected: number
  commonProblems: { kind: ProblemKind; field: string; count: number; example: string }[]
}

export interface PreviewInput {
  /** The destination, pointed at an API base URL (the capture proxy). */
  definitionAt: (apiUrl: string) => DestinationDefinition<never>
  /** Destination settings, credentials included. */
  settings: JSONObject
  /** Where the API really is: the capture proxy lets reads through to it. */
  apiUrl: string
  subscription: { subscribe: string; partnerAction: string; mapping: JSONObject }
  /** The event's schema, by eventUID; undefined when Listrak has no such event. */
  schemaOf: (eventUID: string) => Promise<Record<string, AttributeType> | undefined>
}

const labelOf = (event: SegmentEvent) =>
  [event.type, event.event ? `"${event.event}"` : undefined].filter(Boolean).join(' ')
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** What a mapping makes of one event before sending: the problems a person can fix, field by field. */
function fieldProblems(
  payload: JSONObject,
  schema: Record<string, AttributeType>,
  mapping: JSONObject,
  eventName: string
): Problem[] {
  const problems: Problem[] = []
  const identifiers = normalizeIdentifiers(payload)
  if (!identifiers.ok) {
    // No usable identifier: none was mapped, or every one mapped is malformed (the message names it).
    const malformed = /(emailAddress|phoneNumber) "/.exec(identifiers.message)?.[1]
    problems.push({
      field: malformed ?? 'emailAddress',
      kind: malformed ? 'invalid-identifier' : 'missing-identifier',
      message: identifiers.message
    })
  } else {
    for (const warning of identifiers.warnings) {
      problems.push({
        field: /^(\w+)/.exec(warning)?.[1] ?? 'emailAddress',
        kind: 'invalid-identifier',
        message: `${warning} It is left out; the event is sent with its other identifiers.`
      })
    }
  }
  const dataFields = isObject(payload.dataFields) ? payload.dataFields : {}
  for (const [key, value] of Object.entries(dataFields)) {
    if (!Object.hasOwn(schema, key)) {
      problems.push({
        field: `dataFields.${key}`,
        kind: 'not-in-schema',
        message: `"${key}" is not a field of ${eventName}: Listrak would discard it without a word.`
      })
      continue
    }
    if (value === null || value === undefined) continue
    const coerced = coerceValue(schema[key], value)
    if (!coerced.ok) {
      problems.push({
        field: `dataFields.${key}`,
        kind: 'will-not-coerce',
        message: `${JSON.stringify(value)} will not go into a ${schema[key]}: ${coerced.reason}.`
      })
    }
  }
  const mapped =
    isObject(mapping.dataFields) && !Object.keys(mapping.dataFields).some((key) => key.startsWith('@'))
      ? mapping.dataFields
      : undefined
  for (const key of Object.keys(schema)) {
    if (dataFields[key] !== undefined && dataFields[key] !== null) continue
    const message =
      mapped && !(key in mapped)
        ? `${schema[key]} field "${key}" is not in the mapping.`
        : `${schema[key]} field "${key}" gets no value from this event.`
    problems.push({ field: `dataFields.${key}`, kind: 'never-mapped', message })
  }
  return problems
}

/**
 * Shows what each sample event becomes, without sending any: it runs the real destination
 * (mapping, validation, coercion, batching) against a capture proxy that lets schema reads through
 * and keeps the event posts.
 */
export async function previewEvents(
  lines: { line: number; text: string }[],
  input: PreviewInput
): Promise<{ events: PreviewedEvent[]; summary: PreviewSummary }> {
  const parsedSubscription = parseFql(input.subscription.subscribe)
  let captured: CapturedRequest[] = []
  const proxy = await startCaptureProxy(input.apiUrl, (request) => captured.push(request))
  const destination = new Destination(input.definitionAt(proxy.url))
  const settings = { ...input.settings, oauth: {}, subscription: input.subscription }
  const previewed: PreviewedEvent[] = []
  try {
    for (const { line, text } of lines) {
      const parsed = parseLine(text)
      if (parsed.kind === 'blank') continue
      if (parsed.kind === 'malformed') {
        previewed.push({
          line,
          label: 'unreadable line',
          outcome: 'rejected',
          problems: [{ field: '(line)', kind: 'unreadable', message: parsed.reason }]
        })
        continue
      }
      const { event } = parsed
      if (!validate(parsedSubscription, event)) {
        previewed.push({ line, label: labelOf(event), outcome: 'filtered', problems: [] })
        continue
      }
      const payload = transform(input.subscription.mapping, event as never)
      const eventUID = typeof payload.eventUID === 'string' ? payload.eventUID : ''
      const schema = eventUID ? await input.schemaOf(eventUID) : undefined
      const problems = schema
        ? fieldProblems(payload, schema, input.subscription.mapping, `the event configuration ${eventUID}`)
        : [
            {
              field: 'eventUID',
              kind: 'unknown-event' as const,
              message: `Listrak has no event configuration "${eventUID}".`
            }
          ]

      captured = []
      const results = await destination.onBatch([event], settings)
      destination.responses.length = 0
      const result = results[0]?.multistatus?.[0]
      const status = result?.status ?? 500
      const ok = status >= 200 && status < 300
      const message = result && 'errormessage' in result ? result.errormessage : undefined
      // The destination's own reason, unless a problem found above already explains the rejection.
      if (!ok && message && !problems.some((problem) => BLOCKING.has(problem.kind))) {
        problems.push({ field: '(event)', kind: 'rejected', message })
      }
      previewed.push({
        line,
        label: labelOf(event),
        outcome: ok ? 'would-send' : 'rejected',
        payload,
        requestBody: captured[0]?.body,
        status,
        problems
      })
    }
  } finally {
    await proxy.close()
  }
  return { events: previewed, summary: summarize(previewed) }
}

function summarize(events: PreviewedEvent[]): PreviewSummary {
  const counts = new Map<string, { kind: ProblemKind; field: string; count: number; example: string }>()
  for (const problem of events.flatMap((event) => event.problems)) {
    const key = `${problem.kind}\u0000${problem.field}`
    const entry = counts.get(key) ?? { kind: problem.kind, field: problem.field, count: 0, example: problem.message }
    entry.count++
    counts.set(key, entry)
  }
  return {
    events: events.length,
    wouldSend: events.filter((event) => event.outcome === 'would-send').length,
    filtered: events.filter((event) => event.outcome === 'filtered').length,
    rejected: events.filter((event) => event.outcome === 'rejected').length,
    commonProblems: [...counts.values()].sort((a, b) => b.count - a.count).slice(0, 5)
  }
}
