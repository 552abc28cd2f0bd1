import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import type { AttributeType } from '../../destinations/listrak-cross-channel/sendCustomEvent/contract'
import { coerceValue } from '../../destinations/listrak-cross-channel/sendCustomEvent/coerce'

/** The kinds of call a suggestion is made from. */
export type CallType = 'track' | 'identify' | 'page'

/** Where values are looked for in a call; `keys` limits a container to some of its keys (the top level of a page call: its name). */
interface Root {
  at: string
  jsonPath: string
  keys?: readonly string[]
  /** The call's own data (a track's properties, an identify's traits), as against the context every call carries. */
  own?: boolean
}

const PROPERTIES: Root = { at: 'properties', jsonPath: '$.properties', own: true }
const CONTEXT_TRAITS: Root = { at: 'context.traits', jsonPath: '$.context.traits' }

/** Where each kind of call keeps its values, in order of preference. */
const ROOTS: Record<CallType, readonly Root[]> = {
  track: [PROPERTIES, CONTEXT_TRAITS, { at: 'traits', jsonPath: '$.traits' }],
  identify: [{ at: 'traits', jsonPath: '$.traits', own: true }, CONTEXT_TRAITS],
  page: [PROPERTIES, { at: '', jsonPath: '$', keys: ['name'], own: true }, CONTEXT_TRAITS]
}

/** The names an identifier goes by in a source, once normalised. */
const IDENTIFIER_NAMES = { emailAddress: ['email', 'emailaddress'], phoneNumber: ['phone', 'phonenumber'] } as const

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
  /** The calls the suggestion was made from: track events of one name, identify calls or page calls. */
  type: CallType
  /** The track event name, for track events. */
  eventName?: string
  /** The trigger that matches those calls, in Segment's subscription syntax. */
  subscribe: string
  /** Where the sample keeps each identifier; absent when no event of the sample has it. */
  identifiers: Partial<Record<keyof typeof IDENTIFIER_NAMES, JSONObject>>
  dataFields: Record<string, JSONObject>
  matches: AttributeMatch[]
  unmatched: { attribute: string; type: AttributeType }[]
}

/** orderTotal, order_total, OrderTotal and "order total" all become "ordertotal". */
export const normalizeName = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '')

function valueAt(event: SegmentEvent, dotted: string): unknown {
  let value: unknown = event
  for (const key of dotted ? dotted.split('.') : []) {
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

const join = (root: Root, key: string) => ({
  dotted: root.at ? `${root.at}.${key}` : key,
  jsonPath: `${root.jsonPath}.${key}`
})

/** The keys of a root that the sample's events have, each with where it is. */
function keysOf(root: Root, events: SegmentEvent[]): { key: string; dotted: string; jsonPath: string }[] {
  const keys = new Set<string>()
  for (const event of events) {
    const container = valueAt(event, root.at)
    if (typeof container !== 'object' || container === null) continue
    for (const key of Object.keys(container)) if (!root.keys || root.keys.includes(key)) keys.add(key)
  }
  return [...keys].map((key) => ({ key, ...join(root, key) }))
}

function matchAttribute(
  attribute: string,
  type: AttributeType,
  roots: readonly Root[],
  events: SegmentEvent[]
): (AttributeMatch & { own: boolean }) | undefined {
  const wanted = normalizeName(attribute)
  let best: (AttributeMatch & { own: boolean }) | undefined
  for (const root of roots) {
    for (const { key, dotted, jsonPath } of keysOf(root, events)) {
      const name = nameMatch(wanted, key)
      if (!name) continue
      const values = events
        .map((event) => valueAt(event, dotted))
        .filter((value) => value !== undefined && value !== null)
      const candidate = {
        attribute,
        type,
        path: jsonPath,
        name,
        fits: values.filter((value) => fits(type, value)).length,
        present: values.length,
        own: root.own === true
      }
      if (candidate.fits > 0 && better(candidate, best)) best = candidate
    }
  }
  return best
}

const hasValue = (value: unknown) => (typeof value === 'string' && value.trim() !== '') || typeof value === 'number'

/**
 * Where the sample keeps an identifier: the path that has it in the most events, and when other
 * events have it elsewhere, that path as the fallback (`@if` the first exists).
 */
function suggestIdentifier(
  names: readonly string[],
  roots: readonly Root[],
  events: SegmentEvent[]
): JSONObject | undefined {
  const candidates = roots
    .flatMap((root) => keysOf(root, events))
    .filter(({ key }) => names.includes(normalizeName(key)))
    .map((candidate) => ({
      ...candidate,
      holders: new Set(events.filter((event) => hasValue(valueAt(event, candidate.dotted))))
    }))
  const [first] = candidates.sort((a, b) => b.holders.size - a.holders.size)
  if (!first || first.holders.size === 0) return undefined
  const rest = candidates
    .map((candidate) => ({ ...candidate, extra: [...candidate.holders].filter((event) => !first.holders.has(event)) }))
    .sort((a, b) => b.extra.length - a.extra.length)
  const path = { '@path': first.jsonPath }
  const second = rest[0]?.extra.length ? rest[0] : undefined
  return second ? { '@if': { exists: path, then: path, else: { '@path': second.jsonPath } } } : path
}

interface CallGroup {
  type: CallType
  eventName?: string
  events: SegmentEvent[]
}

/** The sample's calls by kind: track events by name, identify calls, page calls; in the order they first appear. */
function groupCalls(events: SegmentEvent[]): CallGroup[] {
  const groups = new Map<string, CallGroup>()
  for (const event of events) {
    if (event.type !== 'track' && event.type !== 'identify' && event.type !== 'page') continue
    const eventName = event.type === 'track' && typeof event.event === 'string' ? event.event : undefined
    const key = `${event.type}\u0000${eventName ?? ''}`
    const group = groups.get(key) ?? { type: event.type, eventName, events: [] }
    group.events.push(event)
    groups.set(key, group)
  }
  return [...groups.values()]
}

function subscribeFor({ type, eventName }: CallGroup): string {
  return eventName === undefined ? `type = "${type}"` : `type = "${type}" and event = ${JSON.stringify(eventName)}`
}

function suggestFor(schema: Record<string, AttributeType>, group: CallGroup): MappingSuggestion & { score: number[] } {
  const roots = ROOTS[group.type]
  const found: (AttributeMatch & { own: boolean })[] = []
  const unmatched: MappingSuggestion['unmatched'] = []
  for (const [attribute, type] of Object.entries(schema)) {
    const match = matchAttribute(attribute, type, roots, group.events)
    if (match) found.push(match)
    else unmatched.push({ attribute, type })
  }
  const identifiers: MappingSuggestion['identifiers'] = {}
  for (const field of Object.keys(IDENTIFIER_NAMES) as (keyof typeof IDENTIFIER_NAMES)[]) {
    const suggestion = suggestIdentifier(IDENTIFIER_NAMES[field], roots, group.events)
    if (suggestion) identifiers[field] = suggestion
  }
  const matches = found.map(({ own: _own, ...match }) => match)
  return {
    type: group.type,
    ...(group.eventName === undefined ? {} : { eventName: group.eventName }),
    subscribe: subscribeFor(group),
    identifiers,
    matches,
    unmatched,
    dataFields: Object.fromEntries(matches.map((match) => [match.attribute, { '@path': match.path }])),
    // More fields matched; then more of them from the call's own data; then exact names; then more events.
    score: [
      found.length,
      found.filter((match) => match.own).length,
      found.filter((match) => match.name === 'exact').length,
      group.events.length
    ]
  }
}

const higher = (a: number[], b: number[]) => {
  const index = a.findIndex((value, i) => value !== b[i])
  return index >= 0 && a[index] > b[index]
}

/**
 * For every schema attribute, the path in the sample events that best matches its name (across
 * camelCase, snake_case and case; failing that, a name one holds the other, as total for orderTotal)
 * and holds values of its type; a path whose values never fit the type is no match. Values are looked
 * for where each kind of call keeps them: a track event's properties, an identify call's traits, a
 * page call's properties and name, and the context's traits. The sample's calls are taken by kind
 * (track events of one name, identify calls, page calls) and the suggestion is made from the kind that
 * matches the most attributes, preferring those found in the calls' own data. Undefined when the
 * sample has no track, identify or page call.
 */
export function suggestMapping(
  schema: Record<string, AttributeType>,
  events: SegmentEvent[]
): MappingSuggestion | undefined {
  let best: (MappingSuggestion & { score: number[] }) | undefined
  for (const group of groupCalls(events)) {
    const suggestion = suggestFor(schema, group)
    if (!best || higher(suggestion.score, best.score)) best = suggestion
  }
  if (!best) return undefined
  const { score: _score, ...suggestion } = best
  return suggestion
}
