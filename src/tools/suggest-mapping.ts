import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import type { AttributeType } from '../../destinations/listrak-cross-channel/contract'
import { coerceValue } from '../../destinations/listrak-cross-channel/coerce'

/** Where attribute values are looked for, in order of preference. */
const ROOTS = [
  ['properties', '$.properties'],
  ['context.traits', '$.context.traits'],
  ['traits', '$.traits']
] as const

export interface AttributeMatch {
  attribute: string
  type: AttributeType
  path: string
  /** `exact`: the names are equal once normalised; `partial`: one holds the other (total for orderTotal). */
  name: 'exact' | 'partial'
  /** Sample events in which the path holds a value that fits the type. */
  fits: number
  /** Sample events in which the path holds any value. */
  present: number
}

export interface MappingSuggestion {
  /** The event name the suggestion was made from (the track event with the most matches), if any. */
  eventName?: string
  dataFields: Record<string, JSONObject>
  matches: AttributeMatch[]
  unmatched: { attribute: string; type: AttributeType }[]
}

/** orderTotal, order_total, OrderTotal and "order total" all become "ordertotal". */
export const normalizeName = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '')

function valueAt(event: SegmentEvent, dotted: string): unknown {
  let value: unknown = event
  for (const key of dotted.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** A value fits a type when the destination would coerce it; for String, structured values fit less well than text. */
function fits(type: AttributeType, value: unknown): boolean {
  if (type === 'String' && typeof value === 'object') return false
  return coerceValue(type, value).ok
}

const MIN_PARTIAL = 4

function nameMatch(wanted: string, key: string): AttributeMatch['name'] | undefined {
  const normalized = normalizeName(key)
  if (normalized === wanted) return 'exact'
  const [shorter, longer] = normalized.length < wanted.length ? [normalized, wanted] : [wanted, normalized]
  return shorter.length >= MIN_PARTIAL && (longer.startsWith(shorter) || longer.endsWith(shorter))
    ? 'partial'
    : undefined
}

/** Exact names beat partial ones; then values that fit the type; then values present at all; then the root's rank. */
function better(candidate: AttributeMatch, best: AttributeMatch | undefined): boolean {
  if (!best) return true
  if (candidate.name !== best.name) return candidate.name === 'exact'
  if (candidate.fits !== best.fits) return candidate.fits > best.fits
  return candidate.present > best.present
}

function matchAttribute(attribute: string, type: AttributeType, events: SegmentEvent[]): AttributeMatch | undefined {
  const wanted = normalizeName(attribute)
  let best: AttributeMatch | undefined
  for (const [root, jsonPath] of ROOTS) {
    const keys = new Map<string, AttributeMatch['name']>()
    for (const event of events) {
      const container = valueAt(event, root)
      if (typeof container !== 'object' || container === null) continue
      for (const key of Object.keys(container)) {
        const name = nameMatch(wanted, key)
        if (name) keys.set(key, name)
      }
    }
    for (const [key, name] of keys) {
      const values = events
        .map((event) => valueAt(event, `${root}.${key}`))
        .filter((value) => value !== undefined && value !== null)
      const candidate: AttributeMatch = {
        attribute,
        type,
        path: `${jsonPath}.${key}`,
        name,
        fits: values.filter((value) => fits(type, value)).length,
        present: values.length
      }
      if (candidate.fits > 0 && better(candidate, best)) best = candidate
    }
  }
  return best
}

function suggestFor(
  schema: Record<string, AttributeType>,
  events: SegmentEvent[]
): Omit<MappingSuggestion, 'eventName'> {
  const matches: AttributeMatch[] = []
  const unmatched: MappingSuggestion['unmatched'] = []
  for (const [attribute, type] of Object.entries(schema)) {
    const match = matchAttribute(attribute, type, events)
    if (match) matches.push(match)
    else unmatched.push({ attribute, type })
  }
  return {
    matches,
    unmatched,
    dataFields: Object.fromEntries(matches.map((match) => [match.attribute, { '@path': match.path }]))
  }
}

/**
 * For every schema attribute, the path in the sample events that best matches its name (across
 * camelCase, snake_case and case; failing that, a name one holds the other, as total for orderTotal)
 * and holds values of its type; a path whose values never fit the type is no match. With several track event names in
 * the sample, the suggestion is made from the one whose events match the most attributes.
 */
export function suggestMapping(schema: Record<string, AttributeType>, events: SegmentEvent[]): MappingSuggestion {
  const names = [
    ...new Set(
      events
        .filter((event) => event.type === 'track' && typeof event.event === 'string')
        .map((event) => event.event as string)
    )
  ]
  let best: MappingSuggestion = { ...suggestFor(schema, events) }
  let bestScore = -1
  for (const name of names) {
    const suggestion = {
      eventName: name,
      ...suggestFor(
        schema,
        events.filter((event) => event.event === name)
      )
    }
    const score = suggestion.matches.reduce((sum, match) => sum + (match.fits > 0 ? 1 : 0), 0)
    if (score > bestScore) {
      best = suggestion
      bestScore = score
    }
  }
  return best
}
