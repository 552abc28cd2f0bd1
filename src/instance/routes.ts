import { isDirective, transform } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import { parseFql, validate } from '@segment/destination-subscriptions'

/** A subscription as `Destination.onBatch` takes it (`settings.subscription`): what a CDP stores. */
export interface SubscriptionSettings {
  subscribe: string
  partnerAction: string
  mapping: JSONObject
}

/** Where the events of one subscription go: its trigger, its batch key, and what onBatch gets. */
export interface Route {
  /** Its place in the instance: bit `index` of a ledger mask. */
  index: number
  name: string
  subscription: SubscriptionSettings
  /** The action's batch keys, from which `batchKeyOf` is built (a worker thread builds the route again from them). */
  batchKeys: string[]
  /** Whether the subscription's trigger takes the event: decides which batches it joins. */
  matches(event: SegmentEvent): boolean
  /** The values of the action's batch keys in the event's payload, as one string. */
  batchKeyOf(event: SegmentEvent): string
}

/**
 * The route of a subscription that preflight found sound. Events are sorted into a subscription's
 * batches with the library actions-core filters with (`@segment/destination-subscriptions`), so
 * that each batch holds events of one subscription and one batch key; `onBatch` then applies the
 * subscription and its mapping itself.
 */
export function routeOf(index: number, name: string, subscription: SubscriptionSettings, batchKeys: string[]): Route {
  const trigger = parseFql(subscription.subscribe)
  return {
    index,
    name,
    subscription,
    batchKeys,
    matches: (event) => validate(trigger, event),
    batchKeyOf: batchKeyFunction(subscription.mapping, batchKeys)
  }
}

/** Which routes' triggers take an event, and the batch key it has in each. */
export interface Routing {
  /** Bit i: route i's trigger takes the event. */
  matched: number
  /** Route i's batch key, for the routes matched; left out when every one is '' (batch keys mapped to literals). */
  keys?: string[]
}

export function routingOf(routes: readonly Route[], event: SegmentEvent): Routing {
  let matched = 0
  let keys: string[] | undefined
  for (const route of routes) {
    if (!route.matches(event)) continue
    matched |= 1 << route.index
    const key = route.batchKeyOf(event)
    if (key !== '') (keys ??= routes.map(() => ''))[route.index] = key
  }
  return keys ? { matched, keys } : { matched }
}

/**
 * A batch key whose mapping is a literal is the same for every event and is not evaluated; one that is
 * mapped is evaluated with actions-core's own mapping kit, for that key alone.
 */
function batchKeyFunction(mapping: JSONObject, batchKeys: string[]): (event: SegmentEvent) => string {
  const mapped = batchKeys.filter((key) => key in mapping && isDirective(mapping[key]))
  if (mapped.length === 0) return () => ''
  const keyMapping = Object.fromEntries(mapped.map((key) => [key, mapping[key]]))
  return (event) => JSON.stringify(transform(keyMapping, event as unknown as JSONObject))
}
