import { Destination, transform } from '@segment/actions-core'
import type { DestinationDefinition, JSONObject, SegmentEvent } from '@segment/actions-core'
import type { AttributeType } from '../../destinations/listrak-cross-channel/sendCustomEvent/contract'
import { coerceValue } from '../../destinations/listrak-cross-channel/sendCustomEvent/coerce'
import { normalizeIdentifiers } from '../../destinations/listrak-cross-channel/sendCustomEvent/identifiers'
import type { SourceRecord } from '../backfill/reading'
import { startCaptureProxy } from '../instance'
import type { CapturedRequest, SubscriptionSettings } from '../instance'
import { isObject } from '../common/is-object'

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

/** What one subscription would do with an event it matches. */
export interface SubscriptionPreview {
  /** The subscription's `name`. */
  subscription: string
  outcome: 'would-send' | 'rejected'
  /** The action's payload, as the subscription's mapping makes it. */
  payload?: JSONObject
  /** The exact body the destination would POST (identifiers and dataFields after coercion). */
  requestBody?: unknown
  status?: number
  problems: Problem[]
}

export interface PreviewedEvent {
  /** Where the sample event is: `line 12`, `element 3`. */
  where: string
  /** `type` and `event` name of the CDP event, for orientation. */
  label: string
  /**
   * `unmatched`: no subscription's trigger matches it; `rejected`: a subscription would be refused it
   * (or the line is not an event), so a backfill would dead-letter it.
   */
  outcome: 'would-send' | 'rejected' | 'unmatched'
  /** The subscriptions it matches, in the configuration's order. */
  subscriptions: SubscriptionPreview[]
  /** Problems of the line itself (one that is not an event), before any subscription sees it. */
  problems: Problem[]
}

export interface PreviewSummary {
  events: number
  /** Events every matching subscription would send. */
  wouldSend: number
  /** Events at least one subscription would be refused, unreadable lines included. */
  rejected: number
  unreadable: number
  bySubscription: { subscription: string; matched: number; wouldSend: number; rejected: number }[]
  /** Events no subscription matches, and their most common `type` and `event`. */
  unmatched: { events: number; common: { label: string; count: number }[] }
  commonProblems: { subscription: string; kind: ProblemKind; field: string; count: number; example: string }[]
}

/** A subscription of the configuration, checked: its action known, its name and place in the file kept for messages. */
export type ResolvedSubscription = SubscriptionSettings & { name: string; key: string }

export interface PreviewInput {
  /** The destination, pointed at an API base URL (the capture proxy). */
  definitionAt: (apiUrl: string) => DestinationDefinition<never>
  /** Destination settings, credentials included. */
  settings: JSONObject
  /** Where the API really is: the capture proxy lets reads through to it. */
  apiUrl: string
  subscriptions: ResolvedSubscription[]
  /** The event's schema, by eventUID; undefined when Listrak has no such event. */
  schemaOf: (eventUID: string) => Promise<Record<string, AttributeType> | undefined>
}

const labelOf = (event: SegmentEvent) =>
  [event.type, event.event ? `"${event.event}"` : undefined].filter(Boolean).join(' ')

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

/** The definition, each action telling `seen` the payloads actions-core hands its performBatch. */
function observed(
  definition: DestinationDefinition<never>,
  seen: (payloads: JSONObject[]) => void
): DestinationDefinition<never> {
  const actions = Object.fromEntries(
    Object.entries(definition.actions).map(([key, action]) => {
      const { performBatch } = action
      if (!performBatch) return [key, action]
      return [
        key,
        {
          ...action,
          performBatch: (...args: Parameters<typeof performBatch>) => {
            seen(args[1].payload as JSONObject[])
            return performBatch(...args)
          }
        }
      ]
    })
  )
  return { ...definition, actions }
}

const COMMON_UNMATCHED = 5
const COMMON_PROBLEMS = 5

/**
 * Shows what each sample event becomes, without sending any: for each subscription of the instance,
 * it runs the real destination (actions-core's filter on the subscription's trigger, its mapping,
 * validation, coercion, batching) against a capture proxy that lets schema reads through and keeps the
 * event posts.
 */
export async function previewEvents(
  records: SourceRecord[],
  input: PreviewInput
): Promise<{ events: PreviewedEvent[]; summary: PreviewSummary }> {
  let captured: CapturedRequest[] = []
  let received: JSONObject[] = []
  const proxy = await startCaptureProxy(input.apiUrl, (request) => captured.push(request))
  const destination = new Destination(observed(input.definitionAt(proxy.url), (payloads) => (received = payloads)))
  const settings = { ...input.settings, oauth: {} }

  /** What one subscription makes of an event, or undefined when its trigger does not match the event. */
  async function previewFor(
    event: SegmentEvent,
    subscription: ResolvedSubscription
  ): Promise<SubscriptionPreview | undefined> {
    const { subscribe, partnerAction, mapping } = subscription
    captured = []
    received = []
    const results = await destination.onBatch([event], {
      ...settings,
      subscription: { subscribe, partnerAction, mapping }
    })
    destination.responses.length = 0
    const multistatus = results[0]?.multistatus
    if (!multistatus) return undefined

    const payload = transform(mapping, event as never)
    // What the action got: the payload as actions-core made it (nulls removed, types coerced), unless it refused it.
    const [validated] = received
    const eventUID = typeof validated?.eventUID === 'string' ? validated.eventUID : ''
    const schema = eventUID ? await input.schemaOf(eventUID) : undefined
    const problems: Problem[] = !validated
      ? []
      : schema
        ? fieldProblems(validated, schema, mapping, `the event configuration ${eventUID}`)
        : [
            {
              field: 'eventUID',
              kind: 'unknown-event' as const,
              message: `Listrak has no event configuration "${eventUID}".`
            }
          ]
    const result = multistatus[0]
    const status = result?.status ?? 500
    const ok = status >= 200 && status < 300
    const message = result && 'errormessage' in result ? result.errormessage : undefined
    // The destination's own reason, unless a problem found above already explains the rejection.
    if (!ok && message && !problems.some((problem) => BLOCKING.has(problem.kind))) {
      problems.push({ field: '(event)', kind: 'rejected', message })
    }
    return {
      subscription: subscription.name,
      outcome: ok ? 'would-send' : 'rejected',
      payload,
      requestBody: captured[0]?.body,
      status,
      problems
    }
  }

  const previewed: PreviewedEvent[] = []
  try {
    for (const { where, content } of records) {
      if (content.kind === 'blank') continue
      if (content.kind === 'unreadable') {
        previewed.push({
          where,
          label: 'unreadable',
          outcome: 'rejected',
          subscriptions: [],
          problems: [{ field: '(line)', kind: 'unreadable', message: content.reason }]
        })
        continue
      }
      const { event } = content
      const subscriptions: SubscriptionPreview[] = []
      for (const subscription of input.subscriptions) {
        const preview = await previewFor(event, subscription)
        if (preview) subscriptions.push(preview)
      }
      const outcome =
        subscriptions.length === 0
          ? 'unmatched'
          : subscriptions.some((preview) => preview.outcome === 'rejected')
            ? 'rejected'
            : 'would-send'
      previewed.push({ where, label: labelOf(event), outcome, subscriptions, problems: [] })
    }
  } finally {
    await proxy.close()
  }
  return { events: previewed, summary: summarize(previewed, input.subscriptions) }
}

/** The most frequent values first, at most `limit` of them. */
function mostCommon<T>(items: T[], keyOf: (item: T) => string, limit: number): { item: T; count: number }[] {
  const counts = new Map<string, { item: T; count: number }>()
  for (const item of items) {
    const key = keyOf(item)
    const entry = counts.get(key) ?? { item, count: 0 }
    entry.count++
    counts.set(key, entry)
  }
  return [...counts.values()].sort((a, b) => b.count - a.count).slice(0, limit)
}

function summarize(events: PreviewedEvent[], subscriptions: ResolvedSubscription[]): PreviewSummary {
  const previews = events.flatMap((event) => event.subscriptions)
  const unmatched = events.filter((event) => event.outcome === 'unmatched')
  const problems = previews.flatMap((preview) =>
    preview.problems.map((problem) => ({ subscription: preview.subscription, ...problem }))
  )
  return {
    events: events.length,
    wouldSend: events.filter((event) => event.outcome === 'would-send').length,
    rejected: events.filter((event) => event.outcome === 'rejected').length,
    unreadable: events.filter((event) => event.problems.some((problem) => problem.kind === 'unreadable')).length,
    bySubscription: subscriptions.map(({ name }) => {
      const mine = previews.filter((preview) => preview.subscription === name)
      return {
        subscription: name,
        matched: mine.length,
        wouldSend: mine.filter((preview) => preview.outcome === 'would-send').length,
        rejected: mine.filter((preview) => preview.outcome === 'rejected').length
      }
    }),
    unmatched: {
      events: unmatched.length,
      common: mostCommon(unmatched, (event) => event.label, COMMON_UNMATCHED).map(({ item, count }) => ({
        label: item.label,
        count
      }))
    },
    commonProblems: mostCommon(
      problems,
      (problem) => [problem.subscription, problem.kind, problem.field].join('\u0000'),
      COMMON_PROBLEMS
    ).map(({ item, count }) => ({
      subscription: item.subscription,
      kind: item.kind,
      field: item.field,
      count,
      example: item.message
    }))
  }
}
