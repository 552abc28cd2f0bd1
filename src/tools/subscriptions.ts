import type { DestinationDefinition, JSONObject } from '@segment/actions-core'
import { parseFql } from '@segment/destination-subscriptions'
import { ConfigError } from '../backfill/config'
import type { BackfillConfig } from '../backfill/config'

/** A subscription of a configuration, ready for actions-core: its action known, its trigger parsed once. */
export interface ResolvedSubscription {
  name: string
  /** Where it is in the file, for messages: `subscriptions[1]` or `subscription`. */
  key: string
  subscribe: string
  partnerAction: string
  mapping: JSONObject
}

/**
 * Checks each subscription of a configuration against its destination: the trigger parses (Segment's
 * subscription syntax) and the action exists (left out, it is the destination's only action).
 * Problems name the file and the key.
 */
export function resolveSubscriptions(
  config: BackfillConfig,
  definition: DestinationDefinition<never>,
  source: string
): ResolvedSubscription[] {
  const actions = Object.keys(definition.actions)
  return config.subscriptions.map(({ name, key, subscribe, partnerAction, mapping }) => {
    const parsed = parseFql(subscribe)
    if ('error' in parsed)
      throw new ConfigError(
        `${source}: ${key}.subscribe: ${JSON.stringify(subscribe)} is not a trigger in Segment's subscription syntax, such as 'type = "track" and event = "Order Completed"' (the parser says: ${parsed.error.message})`
      )
    const action = partnerAction ?? (actions.length === 1 ? actions[0] : undefined)
    if (action === undefined) {
      throw new ConfigError(`${source}: ${key}.partnerAction: required, as the destination has ${actions.join(', ')}`)
    }
    if (!actions.includes(action)) {
      throw new ConfigError(
        `${source}: ${key}.partnerAction: the destination has no action "${action}"; it has ${actions.join(', ')}`
      )
    }
    return { name, key, subscribe, partnerAction: action, mapping }
  })
}
