import type { JSONObject } from '@segment/actions-core'
import { ConfigError, parseInstanceFile } from '../instance'
import { isObject } from '../common/is-object'

/** A subscription as a configuration file holds it. */
export interface SubscriptionEntry {
  name: string
  subscribe: string
  partnerAction: string
  mapping: JSONObject
}

/**
 * A configuration file's JSON with `entry` added as the last of its `subscriptions`. A file of one
 * `subscription` becomes the list form, that subscription first (named `singleName` if it has no name,
 * so that it keeps a name of its own). Every other key stays as it was, in its place. The file must
 * be a valid configuration, and the name must not be taken.
 */
export function addSubscription(
  file: unknown,
  entry: SubscriptionEntry,
  options: { source: string; singleName?: string }
): {
  config: Record<string, unknown>
  /** Where the new subscription is: `subscriptions[N]`. */
  key: string
  /** When the file had a single `subscription`: its name now, as `subscriptions[0]`. */
  converted?: string
} {
  const existing = parseInstanceFile(file, options.source)
  if (!isObject(file)) throw new ConfigError(`${options.source} is not a JSON object.`)
  const single = isObject(file.subscription) ? file.subscription : undefined
  // The name the single subscription has in the list form: its own, the one given, or its place.
  const singleName =
    single && (typeof single.name === 'string' ? single.name : (options.singleName ?? 'subscriptions[0]'))
  const first =
    single && single.name === undefined && options.singleName ? { name: options.singleName, ...single } : single
  const taken = existing.subscriptions.map((subscription) =>
    singleName === undefined ? subscription : { ...subscription, name: singleName }
  )
  const clash = taken.find((subscription) => subscription.name === entry.name)
  if (clash) {
    throw new ConfigError(
      `${options.source}: ${clash.key} is named "${entry.name}" already; give the new subscription another name with --name NAME.`
    )
  }
  // The same trigger to the same event configuration would send every event it matches twice.
  const twin = existing.subscriptions.find(
    (subscription) =>
      subscription.subscribe === entry.subscribe &&
      JSON.stringify(subscription.mapping.eventUID) === JSON.stringify(entry.mapping.eventUID)
  )
  if (twin) {
    throw new ConfigError(
      `${options.source}: ${twin.key} ("${twin.name}") already sends the events of ${entry.subscribe} to this event configuration; a second subscription would send each of them twice. Edit ${twin.key} instead.`
    )
  }
  const subscriptions = [...(first ? [first] : (file.subscriptions as unknown[])), entry]
  // `subscriptions` takes the place of `subscription`, so the file reads in the same order as before.
  const config = Object.fromEntries(
    Object.entries(file).map(([key, value]) =>
      key === 'subscription' ? ['subscriptions', subscriptions] : [key, key === 'subscriptions' ? subscriptions : value]
    )
  )
  parseInstanceFile(config, options.source)
  const key = `subscriptions[${subscriptions.length - 1}]`
  return first
    ? { config, key, converted: typeof first.name === 'string' ? first.name : 'subscriptions[0]' }
    : { config, key }
}
