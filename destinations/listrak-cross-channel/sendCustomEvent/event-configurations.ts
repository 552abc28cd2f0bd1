import { ErrorCodes, IntegrationError } from '@segment/actions-core'
import type { EventConfiguration } from './contract'

// Listrak's eventUIDs are UUIDs (the contract's `format: uuid`).
const EVENT_UID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The eventUID an event's `eventUID` field names. A UUID is an eventUID as it is; any other value
 * is the name of an event configuration, found in the account's list (`list`, called only then):
 * so a mapping may send each track event to the configuration named like it, as the preset does.
 */
export async function findEventUID(key: string, list: () => Promise<EventConfiguration[]>): Promise<string> {
  if (EVENT_UID_PATTERN.test(key)) return key
  const match = (await list()).find((configuration) => configuration.eventName === key)
  if (match) return match.eventUID
  throw new IntegrationError(
    `Listrak has no event configuration with eventUID or name "${key}" (HTTP 404).`,
    ErrorCodes.NOT_FOUND,
    404
  )
}
